"""The blog, with the two views of valet-keys' original documentation."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods

from valet_keys.decorators import accepts_valet_key

from .models import Comment, Post


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    posts = Post.objects.annotate(comment_count=Count("comments"))
    return render(request, "blog/home.html", {"posts": posts})


@require_GET
def post_detail(request: HttpRequest, slug: str) -> HttpResponse:
    post = get_object_or_404(Post, slug=slug)
    comments = post.comments.select_related("author")
    return render(request, "blog/post.html", {"post": post, "comments": comments})


@accepts_valet_key
def hello(request: HttpRequest) -> HttpResponse:
    if request.valet_key:
        msg = f"HELLO ROBOT, I SEE YOU ARE IMPERSONATING {request.user}"
    elif request.user.is_authenticated:
        msg = "Why, hello there Mr. User!"
    else:
        msg = "Welcome, guest."
    return HttpResponse(msg, content_type="text/plain")


@require_http_methods(["POST"])
@accepts_valet_key
def comment(request: HttpRequest, slug: str) -> HttpResponse:
    blog_post = get_object_or_404(Post, slug=slug)
    if not request.user.is_authenticated:
        return HttpResponse(
            "Log in, or present a valet key, to comment.\n",
            status=401,
            content_type="text/plain",
        )
    content = request.POST.get("comment", "").strip()
    if not content:
        return HttpResponse(
            "A comment needs some text.\n", status=400, content_type="text/plain"
        )

    Comment.objects.create(
        post=blog_post,
        author=request.user,
        content=content,
        by_robot=request.valet_key is not None,
    )
    if request.valet_key:
        request.valet_key.log("blog.commented", blog_post, content)
        return HttpResponse("Comment posted.\n", status=201, content_type="text/plain")
    return HttpResponseRedirect(blog_post.get_absolute_url())


@login_required
@require_GET
def account_settings(request: HttpRequest) -> HttpResponse:
    return render(request, "blog/settings.html")
