"""The app's pages.

Mount them with ``path("keys/", include("valet_keys.urls"))``.
"""

from django.urls import path, re_path

from . import views

app_name = "valet_keys"

# Only letters, digits and underscores reach the views: anything else names
# no key and is a 404 here, before a database that refuses some characters
# (PostgreSQL and NUL) is asked about it.
KEY_ID = r"(?P<key_id>[0-9A-Za-z_]+)"

urlpatterns = [
    path("", views.key_list, name="list"),
    path("new/", views.key_new, name="new"),
    path("whoami/", views.whoami, name="whoami"),
    re_path(rf"^{KEY_ID}/disable/\Z", views.key_disable, name="disable"),
    re_path(rf"^{KEY_ID}/history/\Z", views.key_history, name="history"),
    re_path(rf"^{KEY_ID}/history\.csv\Z", views.key_history_csv, name="history_csv"),
    re_path(rf"^{KEY_ID}/history\.json\Z", views.key_history_json, name="history_json"),
]
