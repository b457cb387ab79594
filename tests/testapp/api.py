"""REST framework views for the tests of ``valet_keys.rest_framework``.

Included by ``tests/urls.py`` under ``api/`` when Django REST framework is
installed.
"""

from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import path
from rest_framework import generics, serializers
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
)
from rest_framework.permissions import (
    AllowAny,
    IsAuthenticated,
    IsAuthenticatedOrReadOnly,
)
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from valet_keys.decorators import accepts_valet_key
from valet_keys.rest_framework import (
    HasValetKey,
    ValetKeyAuthentication,
    ValetKeyContextMixin,
)

from .models import Comment, Post

KEY_THEN_SESSION = [ValetKeyAuthentication, SessionAuthentication]


def _describe(request: Request) -> dict[str, Any]:
    """Say who the request is, as each of the three ways of asking sees it."""
    user = request.user
    authenticator = request.successful_authenticator
    return {
        "user": user.get_username() if user.is_authenticated else None,
        "auth": getattr(request.auth, "key_id", None),
        "valet_key": getattr(request.valet_key, "key_id", None),
        "authenticator": authenticator and type(authenticator).__name__,
    }


class WhoView(APIView):
    authentication_classes = KEY_THEN_SESSION
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response(_describe(request))

    def post(self, request: Request) -> Response:
        return Response(_describe(request))


class RobotsOnlyView(APIView):
    authentication_classes = KEY_THEN_SESSION
    permission_classes = [HasValetKey]

    def get(self, request: Request) -> Response:
        return Response(_describe(request))


class KeyOrBasicView(APIView):
    authentication_classes = [ValetKeyAuthentication, BasicAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response(_describe(request))


class CommentSerializer(serializers.ModelSerializer[Comment]):
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "content"]

    def create(self, validated_data: dict[str, Any]) -> Comment:
        key = self.context["valet_key"]
        # A comment and the record of the robot that wrote it stand or fall
        # together.
        with transaction.atomic():
            comment = super().create(validated_data)
            if key is not None:
                key.log("blog.commented", comment.post, comment.content)
        return comment


class PostCommentsView(ValetKeyContextMixin, generics.ListCreateAPIView[Comment]):
    authentication_classes = KEY_THEN_SESSION
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = CommentSerializer

    def get_post(self) -> Post:
        return get_object_or_404(Post, slug=self.kwargs["slug"])

    def get_queryset(self) -> Any:
        return Comment.objects.filter(post=self.get_post()).order_by("id")

    def perform_create(self, serializer: Any) -> None:
        serializer.save(post=self.get_post(), author=self.request.user)


class DecoratorStyleView(APIView):
    """A view written for ``@accepts_valet_key``, moved to REST framework."""

    authentication_classes = KEY_THEN_SESSION
    permission_classes = [IsAuthenticated]

    def post(self, request: Request, slug: str) -> Response:
        blog_post = get_object_or_404(Post, slug=slug)
        if request.valet_key:
            request.valet_key.log("blog.visited", blog_post)
        return Response(_describe(request))


# The decorator and the class on one view, in both orders.


@accepts_valet_key
@api_view(["GET", "POST"])
@authentication_classes(KEY_THEN_SESSION)
@permission_classes([AllowAny])
def decorator_outside(request: Request) -> Response:
    return Response(_describe(request))


@api_view(["GET", "POST"])
@authentication_classes(KEY_THEN_SESSION)
@permission_classes([AllowAny])
@accepts_valet_key
def decorator_inside(request: Request) -> Response:
    return Response(_describe(request))


urlpatterns = [
    path("who/", WhoView.as_view(), name="api-who"),
    path("robots-only/", RobotsOnlyView.as_view(), name="api-robots-only"),
    path("key-or-basic/", KeyOrBasicView.as_view(), name="api-key-or-basic"),
    path(
        "posts/<slug:slug>/comments/",
        PostCommentsView.as_view(),
        name="api-post-comments",
    ),
    path(
        "posts/<slug:slug>/visit/",
        DecoratorStyleView.as_view(),
        name="api-post-visit",
    ),
    path("decorator-outside/", decorator_outside, name="api-decorator-outside"),
    path("decorator-inside/", decorator_inside, name="api-decorator-inside"),
]
