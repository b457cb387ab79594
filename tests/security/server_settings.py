"""Settings for the gunicorn workers of the multi-process tests.

They are the suite's settings, pointed at the test database that the test
process created and committed to, whose name it passes in the environment.
"""

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

DATABASES["default"]["NAME"] = os.environ["VALET_KEYS_SERVER_DB_NAME"]
ROOT_URLCONF = "tests.security.urls"

# Both workers count failed attempts in one place, as on a real site.
if os.environ.get("VALET_KEYS_SERVER_REDIS_PREFIX"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
            "KEY_PREFIX": os.environ["VALET_KEYS_SERVER_REDIS_PREFIX"],
        }
    }
