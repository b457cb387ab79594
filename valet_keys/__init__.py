"""Let a Django site's users hand robots keys, and see what the robots did.

Add ``"valet_keys"`` to ``INSTALLED_APPS``, mount ``valet_keys.urls`` and
decorate views with ``valet_keys.decorators.accepts_valet_key``.

This package's ``__init__`` imports nothing from Django, so that the robot's
SDK can share ``valet_keys.credentials`` without Django installed.
"""

__version__ = "0.1.0.dev0"
