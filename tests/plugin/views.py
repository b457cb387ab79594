"""Views that show what a request looked like when it reached Django."""

import json

import requests
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.views.decorators.gzip import gzip_page

from valet_keys.decorators import accepts_valet_key

# What the streaming view has produced so far, to tell laziness apart.
produced: list[int | str] = []


@accepts_valet_key
def echo(request: HttpRequest, rest: str = "") -> JsonResponse:
    # Read before the form, which would consume the stream.
    body = request.body
    headers = {
        name: value
        for name, value in request.headers.items()
        if name not in {"Cookie", "Authorization"}
    }
    return JsonResponse(
        {
            "method": request.method,
            "path": request.path,
            "rest": rest,
            "query": {name: request.GET.getlist(name) for name in request.GET},
            "form": {name: request.POST.getlist(name) for name in request.POST},
            "files": {
                name: upload.read().decode() for name, upload in request.FILES.items()
            },
            "body": "" if request.FILES else body.decode(),
            "headers": headers,
            "host": request.get_host(),
            "secure": request.is_secure(),
            "remote_addr": request.META.get("REMOTE_ADDR"),
            "cookies": request.COOKIES,
            "key_id": request.valet_key.key_id if request.valet_key else None,
        }
    )


@accepts_valet_key
def set_cookies(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("Cookies set.")
    response.set_cookie("flavour", "oatmeal")
    response.set_cookie("colour", "blue", httponly=True)
    return response


@accepts_valet_key
def redirect(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect("/plugin/echo/?from=redirect")


@accepts_valet_key
def stream(request: HttpRequest) -> StreamingHttpResponse:
    produced.clear()

    def chunks():
        try:
            for number in range(3):
                produced.append(number)
                yield f"chunk {number}\n".encode()
        finally:
            produced.append("closed")

    return StreamingHttpResponse(chunks(), content_type="text/plain")


@accepts_valet_key
@gzip_page
def compressed(request: HttpRequest) -> HttpResponse:
    return HttpResponse("squeeze " * 100, content_type="text/plain")


@accepts_valet_key
def no_content(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=204)


@accepts_valet_key
def broken(request: HttpRequest) -> HttpResponse:
    raise ValueError("The view broke.")


@accepts_valet_key
def broken_upstream(request: HttpRequest) -> HttpResponse:
    raise requests.ConnectionError("The upstream service is down.")


def unguarded(request: HttpRequest) -> HttpResponse:
    # Not decorated: a robot's POST gets Django's CSRF refusal.
    return HttpResponse(json.dumps({"method": request.method}))


# How many times the busy view was called, to count a robot's retries.
busy_calls: list[str] = []


@accepts_valet_key
def busy(request: HttpRequest) -> HttpResponse:
    busy_calls.append(request.method or "")
    return HttpResponse("Busy.", status=503, headers={"Retry-After": "7"})
