"""The suite's URLs, plus a view that tells which process served it."""

import os

from django.http import HttpRequest, JsonResponse
from django.urls import path

from tests.urls import urlpatterns as suite_urlpatterns
from valet_keys.decorators import accepts_valet_key


@accepts_valet_key
def served_by(request: HttpRequest) -> JsonResponse:
    key = request.valet_key  # type: ignore[attr-defined]
    return JsonResponse(
        {"pid": os.getpid(), "key_id": key.key_id if key is not None else None}
    )


urlpatterns = [
    path("served-by/", served_by),
    *suite_urlpatterns,
]
