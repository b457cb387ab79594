"""The suite's URLs, plus a view that tells which process served it."""

import os

from django.http import HttpRequest, HttpResponseNotAllowed, JsonResponse
from django.urls import path

from tests.urls import urlpatterns as suite_urlpatterns
from valet_keys.decorators import accepts_valet_key


@accepts_valet_key
def served_by(request: HttpRequest) -> JsonResponse:
    key = request.valet_key  # type: ignore[attr-defined]
    return JsonResponse(
        {"pid": os.getpid(), "key_id": key.key_id if key is not None else None}
    )


@accepts_valet_key(required=True)
def robot_log(request: HttpRequest) -> HttpResponseNotAllowed | JsonResponse:
    """Log one action for the presenting key, as a robot's endpoint would."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    key = request.valet_key  # type: ignore[attr-defined]
    action = key.log("robot.logged", notes=request.POST.get("notes", ""))
    return JsonResponse({"action": action.pk}, status=201)


urlpatterns = [
    path("served-by/", served_by),
    path("robot-log/", robot_log),
    *suite_urlpatterns,
]
