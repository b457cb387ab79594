"""The views every variant serves: the same tiny answer behind each check.

Each view answers ``ok`` when its check let the request through, so a
variant that silently failed to authenticate would show up as a 401 in the
warm-up rather than as a suspiciously fast figure.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, router
from django.http import HttpRequest, HttpResponse
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView
from rest_framework_api_key.permissions import HasAPIKey

from valet_keys.authentication import _key_query, authenticate_request
from valet_keys.credentials import digest_secret, parse_basic_authorization
from valet_keys.decorators import accepts_valet_key
from valet_keys.models import Key

try:
    from valet_keys.rest_framework import ValetKeyAuthentication
except ImportError:  # a checkout from before the REST framework class
    ValetKeyAuthentication = None


def _ok() -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def _refused() -> HttpResponse:
    return HttpResponse("refused", status=401, content_type="text/plain")


# --- Plain Django views ----------------------------------------------------


def no_auth(request: HttpRequest) -> HttpResponse:
    return _ok()


@accepts_valet_key
def valet_key(request: HttpRequest) -> HttpResponse:
    if request.valet_key is None:  # type: ignore[attr-defined]
        return _refused()
    return _ok()


@cache
def _hand_select() -> tuple[str, int]:
    # Every column of the key and of its owner, as a complete check that is
    # never stale needs, written the way a developer would by hand.
    user_model = get_user_model()
    key_fields = Key._meta.concrete_fields
    columns = [f"k.{f.column}" for f in key_fields]
    columns += [f"u.{f.column}" for f in user_model._meta.concrete_fields]
    digest_index = [f.name for f in key_fields].index("secret_digest")
    sql = (
        f"SELECT {', '.join(columns)} FROM {Key._meta.db_table} k "
        f"JOIN {user_model._meta.db_table} u ON u.id = k.user_id "
        f"WHERE k.key_id = %s"
    )
    return sql, digest_index


def hand_select(request: HttpRequest) -> HttpResponse:
    """The limit: one SELECT of key and owner, and the digest comparison.

    Nothing is built from the row and nothing else is checked.
    """
    sql, digest_index = _hand_select()
    header = request.META.get("HTTP_AUTHORIZATION", "")
    key_id, secret = parse_basic_authorization(header)
    digest = hashlib.sha256(secret.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(sql, [key_id])
        row = cursor.fetchone()
    if row is None or not hmac.compare_digest(row[digest_index], digest):
        return _refused()
    return _ok()


def orm_lookup(request: HttpRequest) -> HttpResponse:
    """The usual ORM way: ``select_related`` and the digest comparison."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    key_id, secret = parse_basic_authorization(header)
    digest = hashlib.sha256(secret.encode()).hexdigest()
    key = Key.objects.select_related("user").filter(key_id=key_id).first()
    if key is None or not hmac.compare_digest(key.secret_digest, digest):
        return _refused()
    return _ok()


# The decorator's work in layers, to show where its cost comes from: the
# lookup alone, then the whole of authenticate_request() without the
# decorator around it.


def lookup_only(request: HttpRequest) -> HttpResponse:
    """The hand-written SELECT's work, done by the app's lookup instead."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    key_id, secret = parse_basic_authorization(header)
    digest = digest_secret(secret)
    using = router.db_for_read(Key)
    key = _key_query(using).fetch(using, key_id)
    if key is None or not hmac.compare_digest(key.secret_digest, digest):
        return _refused()
    return _ok()


def authenticate_only(request: HttpRequest) -> HttpResponse:
    if authenticate_request(request) is None:
        return _refused()
    return _ok()


# --- Django REST framework views -------------------------------------------


class DRFNoAuth(APIView):
    """REST framework's own floor: its request handling, no check at all."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    def get(self, request: Request) -> HttpResponse:
        return _ok()


class DRFToken(DRFNoAuth):
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]


class DRFAPIKey(DRFNoAuth):
    permission_classes = [HasAPIKey]


class Knox(DRFNoAuth):
    authentication_classes = [KnoxTokenAuthentication]
    permission_classes = [IsAuthenticated]


class ValetKeyDRF(DRFNoAuth):
    authentication_classes = [ValetKeyAuthentication]
    permission_classes = [IsAuthenticated]


# --- The load test ---------------------------------------------------------


@accepts_valet_key(required=True)
def robot_read(request: HttpRequest) -> HttpResponse:
    return _ok()


@accepts_valet_key(required=True)
def robot_log(request: HttpRequest) -> HttpResponse:
    action = request.valet_key.log("bench.pinged")  # type: ignore[attr-defined]
    return HttpResponse(str(action.pk), content_type="text/plain")
