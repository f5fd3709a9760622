from django.urls import path

from crimac.alerts import views

app_name = "alerts"
urlpatterns = [
    path("", views.alert_list, name="list"),
    path("new/", views.alert_new, name="new"),
    path("<str:ref>/", views.alert_detail, name="detail"),
    path("<str:ref>/publish/", views.alert_publish, name="publish"),
    path("<str:ref>/cancel/", views.alert_cancel, name="cancel"),
    path("<str:ref>/resolve/", views.alert_resolve, name="resolve"),
    path("<str:ref>/attachments/<int:attachment_id>/", views.attachment_file, name="attachment"),
]
