"""Settings of the demo site: a small blog that accepts valet keys.

For local use only: DEBUG is on and the secret key is made up on first start.

``VALET_KEYS_DEMO_DB`` names the SQLite file to use instead of
``example/db.sqlite3``; the tests point it at a temporary folder.
"""

import os
import secrets
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

DATABASE_PATH = Path(os.environ.get("VALET_KEYS_DEMO_DB") or HERE / "db.sqlite3")

# A fresh secret key per database, kept beside it so sessions survive a
# restart, and never committed.
_secret_key_file = DATABASE_PATH.parent / ".secret_key"
if not _secret_key_file.exists():
    _secret_key_file.parent.mkdir(parents=True, exist_ok=True)
    _secret_key_file.write_text(secrets.token_urlsafe(50))
    _secret_key_file.chmod(0o600)
SECRET_KEY = _secret_key_file.read_text().strip()

DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "valet_keys",
    "blog",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo_site.urls"
WSGI_APPLICATION = "demo_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATABASE_PATH,
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "settings"
LOGOUT_REDIRECT_URL = "home"

VALET_KEYS = {
    # The key pages take the blog's own layout.
    "BASE_TEMPLATE": "blog/valet_keys_base.html",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # Show why a robot's key was refused while trying the demo out.
    "loggers": {"valet_keys": {"handlers": ["console"], "level": "DEBUG"}},
}
