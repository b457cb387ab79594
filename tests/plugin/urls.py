"""The test site's URLs, plus views that inspect the robot's requests."""

from django.urls import path

from tests.plugin import views
from tests.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    *site_urlpatterns,
    path("plugin/echo/", views.echo),
    path("plugin/echo/<path:rest>", views.echo),
    path("plugin/cookies/", views.set_cookies),
    path("plugin/redirect/", views.redirect),
    path("plugin/stream/", views.stream),
    path("plugin/compressed/", views.compressed),
    path("plugin/no-content/", views.no_content),
    path("plugin/broken/", views.broken),
    path("plugin/broken-upstream/", views.broken_upstream),
    path("plugin/unguarded/", views.unguarded),
    path("plugin/busy/", views.busy),
]
