from django.apps import apps
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tests.testapp import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("keys/", include("valet_keys.urls")),
    path("hello/", views.hello, name="hello"),
    path("hello-async/", views.hello_async, name="hello-async"),
    path("hello-class/", views.HelloView.as_view(), name="hello-class"),
    path("robots-only/", views.robots_only, name="robots-only"),
    path("posts/<slug:slug>/", views.post_detail, name="post-detail"),
    path("posts/<slug:slug>/comment/", views.comment, name="comment"),
]

if apps.is_installed("rest_framework"):
    urlpatterns.append(path("api/", include("tests.testapp.api")))
