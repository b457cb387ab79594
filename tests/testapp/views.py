"""The examples of the original documentation, in today's Django idiom."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.views import View

from valet_keys.decorators import accepts_valet_key

from .models import Comment, Post


def _greeting(request: HttpRequest) -> str:
    if request.valet_key:
        return f"HELLO ROBOT, I SEE YOU ARE IMPERSONATING {request.user}"
    if request.user.is_authenticated:
        return "Why, hello there Mr. User!"
    return "Welcome, guest."


@accepts_valet_key
def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_greeting(request), content_type="text/plain")


@accepts_valet_key
async def hello_async(request: HttpRequest) -> HttpResponse:
    user = await request.auser() if request.valet_key is None else request.user
    if request.valet_key:
        message = f"HELLO ROBOT, I SEE YOU ARE IMPERSONATING {user}"
    elif user.is_authenticated:
        message = "Why, hello there Mr. User!"
    else:
        message = "Welcome, guest."
    return HttpResponse(message, content_type="text/plain")


@method_decorator(accepts_valet_key, name="dispatch")
class HelloView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(_greeting(request), content_type="text/plain")

    def post(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(_greeting(request), content_type="text/plain")


@accepts_valet_key(required=True)
def robots_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"Key {request.valet_key.key_id}", content_type="text/plain")


def post_detail(request: HttpRequest, slug: str) -> HttpResponse:
    post = get_object_or_404(Post, slug=slug)
    return HttpResponse(post.title, content_type="text/plain")


@accepts_valet_key
def comment(request: HttpRequest, slug: str) -> HttpResponse:
    blog_post = get_object_or_404(Post, slug=slug)
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    if not request.user.is_authenticated:
        return HttpResponse("Log in or present a valet key.", status=401)
    content = request.POST.get("comment", "")
    if not content:
        return HttpResponseBadRequest("A comment needs some text.")
    Comment.objects.create(post=blog_post, author=request.user, content=content)
    if request.valet_key:
        request.valet_key.log("blog.commented", blog_post, content)
    return HttpResponse("Thanks for your comment.", status=201)
