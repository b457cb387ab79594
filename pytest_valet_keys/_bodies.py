"""Read a prepared request's body the way the network would carry it."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["body_bytes"]


def body_bytes(body: object) -> bytes:
    """Return the bytes requests would send for a prepared body.

    requests leaves the body as bytes, text, a file or an iterable of
    chunks; text goes out as UTF-8, as urllib3 2 sends it.
    """
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    read = getattr(body, "read", None)
    if read is not None:
        data = read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if isinstance(body, Iterable):
        return b"".join(
            part.encode("utf-8") if isinstance(part, str) else bytes(part)
            for part in body
        )
    raise TypeError(f"Cannot send a body of type {type(body).__name__}.")
