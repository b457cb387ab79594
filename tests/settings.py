"""Settings for the test suite.

``VALET_KEYS_TEST_DB`` picks the database: ``sqlite`` (the default, a file
database as in production, not only in memory), ``postgresql`` or
``mariadb``, the last two on 127.0.0.1 as set up on the development and CI
machines. ``VALET_KEYS_TEST_DB_NAME`` names the test database on the servers,
so that several checkouts can run their suites at once.
"""

import os
from importlib.util import find_spec
from pathlib import Path

HERE = Path(__file__).resolve().parent

DATABASE_VENDOR = os.environ.get("VALET_KEYS_TEST_DB", "sqlite")
TEST_DATABASE_NAME = os.environ.get("VALET_KEYS_TEST_DB_NAME", "test_valet_keys")

_DATABASES = {
    "sqlite": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(HERE / ".databases" / "valet_keys.sqlite3"),
        "TEST": {"NAME": str(HERE / ".databases" / f"{TEST_DATABASE_NAME}.sqlite3")},
    },
    "postgresql": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "test",
        "USER": os.environ.get("VALET_KEYS_PG_USER", "postgres"),
        "HOST": "127.0.0.1",
        "PORT": "5432",
        "TEST": {"NAME": TEST_DATABASE_NAME},
    },
    "mariadb": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": "test",
        "USER": "root",
        "HOST": "127.0.0.1",
        "PORT": "3306",
        "OPTIONS": {"charset": "utf8mb4"},
        "TEST": {
            "NAME": TEST_DATABASE_NAME,
            "CHARSET": "utf8mb4",
            "COLLATION": "utf8mb4_unicode_ci",
        },
    },
}
if DATABASE_VENDOR not in _DATABASES:
    raise ValueError(
        f"VALET_KEYS_TEST_DB must be one of {', '.join(_DATABASES)}; "
        f"got {DATABASE_VENDOR!r}."
    )
DATABASES = {"default": _DATABASES[DATABASE_VENDOR]}
(HERE / ".databases").mkdir(exist_ok=True)

SECRET_KEY = "valet-keys-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "valet_keys",
    "tests.testapp",
]
# Django REST framework is optional: its tests run when it is installed, and
# the core suite must pass without it.
if find_spec("rest_framework") is not None:
    INSTALLED_APPS.append("rest_framework")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tests.urls"
LOGIN_URL = "/accounts/login/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "templates"],
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

STATIC_URL = "/static/"

# Tests log in with force_login; the one hasher left is for the few that
# set a password, and it is the fast one.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
