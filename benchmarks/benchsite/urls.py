from django.urls import include, path

from . import views

urlpatterns = [
    path("keys/", include("valet_keys.urls")),
    path("plain/no-auth/", views.no_auth),
    path("plain/valet-key/", views.valet_key),
    path("plain/hand-select/", views.hand_select),
    path("plain/orm/", views.orm_lookup),
    path("plain/lookup-only/", views.lookup_only),
    path("plain/authenticate-only/", views.authenticate_only),
    path("drf/no-auth/", views.DRFNoAuth.as_view()),
    path("drf/token/", views.DRFToken.as_view()),
    path("drf/api-key/", views.DRFAPIKey.as_view()),
    path("drf/knox/", views.Knox.as_view()),
    path("robot/read/", views.robot_read),
    path("robot/log/", views.robot_log),
]

if views.ValetKeyAuthentication is not None:
    urlpatterns.append(path("drf/valet-key/", views.ValetKeyDRF.as_view()))
