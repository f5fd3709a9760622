from django.urls import path

from crimac.oversight import views

app_name = "oversight"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("state/<str:code>/", views.state_dashboard, name="state"),
    path("alerts/", views.alerts_behind, name="alerts"),
    path("notices/", views.notices, name="notices"),
]
