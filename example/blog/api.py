"""The blog's comments as JSON, through Django REST framework.

``GET /api/posts/<slug>/comments/`` lists a post's comments for anyone.
``POST`` adds one, as a robot with a valet key or as a logged-in person with
a CSRF token; a robot's comment is logged on its key as ``blog.commented``.
"""

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from rest_framework import generics, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticatedOrReadOnly

from valet_keys.rest_framework import ValetKeyAuthentication, get_valet_key

from .models import Comment, Post


class CommentSerializer(serializers.ModelSerializer[Comment]):
    author = serializers.CharField(source="author.get_username", read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "content", "by_robot", "created"]
        read_only_fields = ["by_robot", "created"]


class PostComments(generics.ListCreateAPIView[Comment]):
    # The key first: its challenge is the one a 401 carries, and a robot's
    # key wins over a session cookie that happens to ride along.
    authentication_classes = [ValetKeyAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = CommentSerializer

    def get_post(self) -> Post:
        return get_object_or_404(Post, slug=self.kwargs["slug"])

    def get_queryset(self) -> QuerySet[Comment]:
        return self.get_post().comments.select_related("author")

    def perform_create(self, serializer: Any) -> None:
        key = get_valet_key(self.request)
        # A robot's comment and the record of it are saved together or not
        # at all.
        with transaction.atomic():
            comment = serializer.save(
                post=self.get_post(),
                author=self.request.user,
                by_robot=key is not None,
            )
            if key is not None:
                key.log("blog.commented", comment.post, comment.content)


urlpatterns = [
    path(
        "posts/<slug:slug>/comments/",
        PostComments.as_view(),
        name="api-post-comments",
    ),
]
