"""Signals sent over a key's life.

Each is sent with ``sender`` set to the model class and the instance as a
keyword argument:

- ``key_created(key)``: after ``Key.objects.mint()`` saved a new key;
- ``key_used(key, request)``: after a request authenticated with a key;
- ``key_disabled(key)``: once, when a key was disabled;
- ``action_logged(action)``: after ``key.log()`` saved a ``KeyAction``.

``key_used`` is sent on every authenticated request, so its receivers sit on
the hot path of every robot call; keep them cheap.
"""

from django.dispatch import Signal

__all__ = ["action_logged", "key_created", "key_disabled", "key_used"]

key_created = Signal()
key_used = Signal()
key_disabled = Signal()
action_logged = Signal()
