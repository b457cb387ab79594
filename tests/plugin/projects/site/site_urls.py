from django.urls import include, path

from blog import views

urlpatterns = [
    path("keys/", include("valet_keys.urls")),
    path("posts/<slug:slug>/", views.post_detail, name="post-detail"),
    path("posts/<slug:slug>/comment/", views.comment, name="comment"),
    path("boom/", views.boom),
    path("unguarded/", views.unguarded),
]
