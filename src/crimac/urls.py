from django.contrib import admin
from django.urls import include, path

from crimac.api import api
from crimac.directory import views

admin.site.site_header = "crimac administration"
admin.site.site_title = "crimac"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("directory/", include("crimac.directory.urls")),
    path("alerts/", include("crimac.alerts.urls")),
    path("inbox/", include("crimac.dissemination.urls")),
    path("subscriptions/", include("crimac.dissemination.urls_subscriptions")),
    path("channels/", include("crimac.dissemination.urls_channels")),
    path("matches/", include("crimac.matching.urls")),
    path("search/", include("crimac.search.urls")),
    path("oversight/", include("crimac.oversight.urls")),
    path("admin/login/", views.LoginView.as_view()),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
]

handler403 = "crimac.directory.views.permission_denied"
handler500 = "crimac.middleware.server_error"  # running out of connections is a 503, not a 500
