from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from blog import views

urlpatterns = [
    path("", views.home, name="home"),
    path("hello/", views.hello, name="hello"),
    path("posts/<slug:slug>/", views.post_detail, name="post-detail"),
    path("posts/<slug:slug>/comment/", views.comment, name="comment"),
    path("settings/", views.account_settings, name="settings"),
    path("keys/", include("valet_keys.urls")),
    path("api/", include("blog.api")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
