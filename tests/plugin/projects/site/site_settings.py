"""Settings of the small site that pytester runs are made of.

The database is SQLite in memory: these runs test the plugin's behaviour,
which does not depend on the database vendor, and the outer suite tests the
transport on every vendor.
"""

SECRET_KEY = "pytest-valet-keys-site"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["testserver", "localhost"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "valet_keys",
    "blog",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "site_urls"

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

# A hasher that fails the test that makes it run: fixtures must create
# users and keys without hashing anything.
PASSWORD_HASHERS = ["blog.hashers.ForbiddenHasher"]
STATIC_URL = "/static/"
