from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from valet_keys.decorators import accepts_valet_key

from .models import Post


def post_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse(get_object_or_404(Post, slug=slug).title)


@accepts_valet_key(required=True)
def comment(request: HttpRequest, slug: str) -> HttpResponse:
    post = get_object_or_404(Post, slug=slug)
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    request.valet_key.log("blog.commented", post, request.POST["comment"])
    return HttpResponse("Thanks for your comment.", status=201)


@accepts_valet_key
def boom(request: HttpRequest) -> HttpResponse:
    raise ValueError("The view broke.")


def unguarded(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Not for robots.")
