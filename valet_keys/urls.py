"""The app's pages.

Mount them with ``path("keys/", include("valet_keys.urls"))``.
"""

from django.urls import path

from . import views

app_name = "valet_keys"

urlpatterns = [
    path("", views.key_list, name="list"),
    path("new/", views.key_new, name="new"),
    path("whoami/", views.whoami, name="whoami"),
    path("<str:key_id>/disable/", views.key_disable, name="disable"),
    path("<str:key_id>/history/", views.key_history, name="history"),
    path("<str:key_id>/history.csv", views.key_history_csv, name="history_csv"),
    path("<str:key_id>/history.json", views.key_history_json, name="history_json"),
]
