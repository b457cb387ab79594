"""Authenticate a request by the valet key in its Authorization header.

This is the hot path of every robot request, shared by the decorator and any
other integration. It costs one query, which fetches the key and its owner
together, plus a write of ``last_used_at`` at most once per
``VALET_KEYS["LAST_USED_INTERVAL"]``. While throttling is on, a well-formed
credential also costs one cache read before the query (see ``throttling``).

The query is written by hand rather than through a QuerySet: compiling a
QuerySet costs several times more than the database round trip it makes, and
the same statement is run for every request. It is built from the models'
metadata once per database and user model, and its rows pass through the
database backend's and fields' converters exactly as the ORM's would.
"""

from __future__ import annotations

import datetime
import hmac
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, router
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.http import HttpRequest
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from . import signals
from .conf import get_setting
from .credentials import (
    KEY_ID_PATTERN,
    InvalidCredentials,
    digest_secret,
    has_valid_checksum,
    parse_basic_authorization,
)
from .models import Key
from .throttling import Throttled, throttle_for

__all__ = [
    "authenticate_credentials",
    "authenticate_or_throttle",
    "authenticate_request",
]

logger = logging.getLogger("valet_keys")

# Compared against when the identifier is unknown, so that an unknown
# identifier and a wrong secret cost the same work and take the same path.
_NO_SUCH_DIGEST = digest_secret("no key has this secret")

# Tells a request never authenticated from one authenticated without a key.
_NOT_AUTHENTICATED_YET = object()

Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class _KeyQuery:
    """The statement that loads a key and its owner, for one database."""

    sql: str
    key_field_count: int
    converters: Sequence[tuple[int, Sequence[Converter]]]
    columns: Sequence[Any]
    user_model: type[Model]
    key_attnames: Sequence[str]
    user_attnames: Sequence[str]
    # SQLite's own converters, kept apart from ``converters`` so that the
    # common case of each costs no call (see ``_build_key_query``).
    sqlite_datetimes: Sequence[tuple[int, Converter]] = ()
    sqlite_booleans: Sequence[tuple[int, Converter]] = ()

    def fetch(self, using: str, key_id: str) -> Key | None:
        connection = connections[using]
        with connection.cursor() as cursor:
            # A mapping of parameters, as the statement names its one
            # placeholder (see ``_build_key_query``).
            cursor.execute(self.sql, {"key_id": key_id})
            row = cursor.fetchone()
        if row is None:
            return None
        values = list(row)
        columns = self.columns

        # SQLite's module has already turned these columns into naive
        # datetimes and bools, by their declared types. Django's converter
        # then only attaches the connection's time zone to a naive datetime
        # when USE_TZ is on, and leaves a bool or None as it is; that is
        # done inline here, and anything else still goes through Django's
        # converter. Calling the converter for each of the ten columns cost
        # about 5 µs, twice as much as building both instances.
        if self.sqlite_datetimes:
            zone = connection.timezone if settings.USE_TZ else None
            for index, converter in self.sqlite_datetimes:
                value = values[index]
                if value is None:
                    continue
                if value.__class__ is datetime.datetime:
                    if zone is not None and value.tzinfo is None:
                        values[index] = value.replace(tzinfo=zone)
                else:
                    values[index] = converter(value, columns[index], connection)
        for index, converter in self.sqlite_booleans:
            value = values[index]
            if value is not None and value.__class__ is not bool:
                values[index] = converter(value, columns[index], connection)

        for index, converters in self.converters:
            value = values[index]
            for converter in converters:
                value = converter(value, columns[index], connection)
            values[index] = value

        count = self.key_field_count
        key = _instance(Key, using, self.key_attnames, values[:count])
        user = _instance(self.user_model, using, self.user_attnames, values[count:])
        Key.user.field.set_cached_value(key, user)
        return key


_queries: dict[tuple[str, str], _KeyQuery] = {}


def _key_query(using: str) -> _KeyQuery:
    cache_key = (using, settings.AUTH_USER_MODEL)
    query = _queries.get(cache_key)
    if query is None:
        query = _queries[cache_key] = _build_key_query(using)
    return query


def _build_key_query(using: str) -> _KeyQuery:
    connection = connections[using]
    quote = connection.ops.quote_name
    user_model = get_user_model()
    key_fields = Key._meta.concrete_fields
    user_fields = user_model._meta.concrete_fields
    key_table, user_table = "k", "u"

    def qualified(table: str, field: Any) -> str:
        return f"{quote(table)}.{quote(field.column)}"

    # Every name below comes from model metadata and is quoted by the
    # backend; the only value, the identifier, is a query parameter.
    #
    # The placeholder is named, ``%(key_id)s``, and the parameters passed as
    # a mapping, which every backend accepts. With a positional ``%s``,
    # Django's SQLite cursor rewrites the placeholders with a regular
    # expression that scans the whole statement, some 500 characters, on
    # every execution: about 5 µs, as much as converting the row. A named
    # placeholder is rewritten by one ``%`` formatting instead.
    # The statement still goes through Django's cursor wrappers, so
    # ``execute_wrapper`` and query counting in tests see it.
    selected = [qualified(key_table, f) for f in key_fields]
    selected += [qualified(user_table, f) for f in user_fields]
    sql = (
        f"SELECT {', '.join(selected)} "  # noqa: S608
        f"FROM {quote(Key._meta.db_table)} {quote(key_table)} "
        f"INNER JOIN {quote(user_model._meta.db_table)} {quote(user_table)} "
        f"ON {qualified(key_table, Key.user.field)} = "
        f"{qualified(user_table, user_model._meta.pk)} "
        f"WHERE {qualified(key_table, Key._meta.get_field('key_id'))} = %(key_id)s"
    )

    columns = [f.get_col(key_table) for f in key_fields]
    columns += [f.get_col(user_table) for f in user_fields]
    # SQLite's own converters, compared by function so that a backend that
    # overrides one keeps it; the module is imported only for SQLite.
    sqlite_datetime: object = None
    sqlite_boolean: object = None
    if connection.vendor == "sqlite":
        from django.db.backends.sqlite3.operations import DatabaseOperations

        sqlite_datetime = DatabaseOperations.convert_datetimefield_value
        sqlite_boolean = DatabaseOperations.convert_booleanfield_value
    converters = []
    sqlite_datetimes = []
    sqlite_booleans = []
    for index, column in enumerate(columns):
        # The same order as the ORM's compiler: backend first, then field.
        chain = connection.ops.get_db_converters(column)
        chain += column.get_db_converters(connection)
        # Only a column whose whole chain is SQLite's own converter takes
        # the inline path in ``fetch``; a field's ``from_db_value`` or a
        # backend that overrides the converter keeps the full chain.
        function = getattr(chain[0], "__func__", None) if len(chain) == 1 else None
        if function is not None and function is sqlite_datetime:
            sqlite_datetimes.append((index, chain[0]))
        elif function is not None and function is sqlite_boolean:
            sqlite_booleans.append((index, chain[0]))
        elif chain:
            converters.append((index, tuple(chain)))
    return _KeyQuery(
        sql=sql,
        key_field_count=len(key_fields),
        converters=tuple(converters),
        columns=tuple(columns),
        user_model=user_model,
        key_attnames=tuple(f.attname for f in key_fields),
        user_attnames=tuple(f.attname for f in user_fields),
        sqlite_datetimes=tuple(sqlite_datetimes),
        sqlite_booleans=tuple(sqlite_booleans),
    )


_M = TypeVar("_M", bound=Model)


def _instance(
    model: type[_M], using: str, attnames: Sequence[str], values: Sequence[Any]
) -> _M:
    """Build a model instance from a full row, as ``Model.from_db`` would.

    ``Model.__init__`` spends most of its time on keyword arguments,
    defaults and descriptors that a complete row from the database does not
    need; filling the instance's dict directly costs a fraction of it. A
    model with ``pre_init`` or ``post_init`` receivers (such as one with an
    ``ImageField``) is built the usual way so that they still run.
    """
    # Checking the receiver lists first keeps the common case, no init
    # receivers at all, to two attribute reads.
    if (pre_init.receivers and pre_init.has_listeners(model)) or (
        post_init.receivers and post_init.has_listeners(model)
    ):
        return model.from_db(using, attnames, values)
    instance = model.__new__(model)
    instance.__dict__.update(zip(attnames, values, strict=True))
    state = ModelState()
    state.adding = False
    state.db = using
    instance._state = state
    return instance


def clear_query_cache(**kwargs: Any) -> None:
    """Forget the built statements, after a database or user model change."""
    _queries.clear()


def authenticate_request(request: HttpRequest) -> Key | None:
    """Return the usable key presented by ``request``, or None.

    Read ``Authorization: Basic base64(key_id:secret)``. Every way a header
    can fail, from malformed base64 to a disabled key or a throttled client,
    gives None and is logged at DEBUG on the ``valet_keys`` logger with the
    reason and, where known, the key identifier.
    """
    try:
        return authenticate_or_throttle(request)
    except Throttled:
        return None


# Django's error pages and the reports mailed to ADMINS show the local
# variables of every frame of a traceback; a database error while a secret is
# in hand would otherwise show it there.
@sensitive_variables("header", "secret")
def authenticate_or_throttle(request: HttpRequest) -> Key | None:
    """Return the usable key presented by ``request``, or None.

    The same as ``authenticate_request``, except that a credential refused
    because its identifier or the client's address failed too often raises
    ``valet_keys.throttling.Throttled``, whose ``retry_after`` a caller can
    send back with a 429.

    A request that already carries ``valet_key`` gets that answer back.
    """
    # The decorator and the REST framework class may both run on one
    # request, in either order; the second takes the first one's answer, so
    # the request costs one query and the key counts as used once.
    known = getattr(request, "valet_key", _NOT_AUTHENTICATED_YET)
    if known is not _NOT_AUTHENTICATED_YET:
        return cast("Key | None", known)
    header = request.META.get("HTTP_AUTHORIZATION")
    if not header:
        return None
    try:
        key_id, secret = parse_basic_authorization(header)
    except InvalidCredentials as error:
        logger.debug("Rejected valet key: %s", error)
        return None
    if not _is_well_formed(key_id, secret):
        return None

    # Only a well-formed credential reaches the throttle: anything else was
    # refused above at no cost, and only a well-formed identifier may become
    # part of a cache key.
    throttle = throttle_for(request, key_id)
    if throttle is not None:
        throttle.check()

    key = _verify(key_id, secret)
    if key is None:
        if throttle is not None:
            throttle.record_failure()
        return None
    signals.key_used.send(sender=Key, key=key, request=request)
    return key


@sensitive_variables("secret")
def authenticate_credentials(key_id: str, secret: str) -> Key | None:
    """Return the usable key for this identifier and secret, or None.

    The returned key has its owner loaded as ``key.user``. Nothing here is
    throttled, as there is no client to count failures against; code that
    serves requests should call ``authenticate_request``.
    """
    if not _is_well_formed(key_id, secret):
        return None
    return _verify(key_id, secret)


def _is_well_formed(key_id: str, secret: str) -> bool:
    # Cheap checks that need no database. Neither depends on whether a key
    # with this identifier exists, so they reveal nothing about that.
    if KEY_ID_PATTERN.fullmatch(key_id) is None:
        logger.debug("Rejected valet key: malformed identifier")
        return False
    if not has_valid_checksum(secret):
        logger.debug("Rejected valet key %s: secret fails its checksum", key_id)
        return False
    return True


@sensitive_variables("secret", "presented_digest")
def _verify(key_id: str, secret: str) -> Key | None:
    """Look a well-formed credential up and return its key if usable."""
    # Unknown identifier and wrong secret: the same digest, the same
    # constant-time comparison, the same log line.
    presented_digest = digest_secret(secret)
    using = router.db_for_read(Key)
    key = _key_query(using).fetch(using, key_id)
    stored_digest = _NO_SUCH_DIGEST if key is None else key.secret_digest
    digests_match = hmac.compare_digest(presented_digest, stored_digest)
    # Some databases compare text without regard to case; the identifier
    # must match exactly.
    if key is None or not digests_match or key.key_id != key_id:
        logger.debug(
            "Rejected valet key %s: unknown identifier or wrong secret", key_id
        )
        return None

    # A genuine key that may no longer be used.
    now = timezone.now()
    if key.is_disabled:
        logger.debug("Rejected valet key %s: disabled", key_id)
        return None
    if key.expires_at is not None and key.expires_at <= now:
        logger.debug("Rejected valet key %s: expired", key_id)
        return None
    if not getattr(key.user, "is_active", True):
        logger.debug("Rejected valet key %s: owner is inactive", key_id)
        return None

    _touch(key, now)
    return key


def _touch(key: Key, now: datetime.datetime) -> None:
    """Record that the key was used, at most once per interval.

    The update is conditional, so concurrent requests in several processes
    write it once between them.
    """
    interval = get_setting("LAST_USED_INTERVAL")
    if key.last_used_at is not None and now - key.last_used_at < interval:
        return
    using = router.db_for_write(Key)
    Key.objects.using(using).filter(pk=key.pk).exclude(
        last_used_at__gt=now - interval
    ).update(last_used_at=now)
    key.last_used_at = now
