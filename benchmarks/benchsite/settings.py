"""Settings of the benchmark site, chosen by environment variables.

``VALET_BENCH_DB`` is ``sqlite`` or ``postgresql``; ``VALET_BENCH_DB_NAME``
is the SQLite file or the PostgreSQL database, which ``harness`` creates
before Django starts and removes afterwards. The same settings serve the
in-process benchmarks and the gunicorn workers of the load test, which
read the variables from the environment they inherit.
"""

import os

DATABASE_VENDOR = os.environ.get("VALET_BENCH_DB", "sqlite")
DATABASE_NAME = os.environ.get("VALET_BENCH_DB_NAME", "bench_vk")

_DATABASES = {
    "sqlite": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATABASE_NAME,
    },
    "postgresql": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": os.environ.get("VALET_BENCH_PG_USER", "postgres"),
        "HOST": "127.0.0.1",
        "PORT": os.environ.get("VALET_BENCH_PG_PORT", "5432"),
        # Production sites keep their connections; opening one per request
        # would cost more than everything measured here.
        "CONN_MAX_AGE": 60,
    },
}
DATABASES = {"default": _DATABASES[DATABASE_VENDOR]}

SECRET_KEY = "valet-keys-benchmarks-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_api_key",
    "knox",
    "valet_keys",
]

# Django's default middleware, as a new project has it.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "benchsite.urls"
WSGI_APPLICATION = "benchsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
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

# Each view names its own authentication and permission classes; nothing
# runs by default, so DRF's own floor view authenticates nobody.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
}

# No benchmark checks a password; the fastest hasher keeps user creation
# out of the figures.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
