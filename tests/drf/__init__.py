"""Tests of ``valet_keys.rest_framework``, which needs the drf extra.

Each module skips itself with ``pytest.importorskip("rest_framework",
reason=NO_REST_FRAMEWORK)`` before importing anything that needs REST
framework, so that the core suite runs without it however pytest is pointed
at this folder.
"""

NO_REST_FRAMEWORK = "Django REST framework is not installed (the drf extra adds it)"
