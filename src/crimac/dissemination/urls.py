from django.urls import path

from crimac.dissemination import views

app_name = "dissemination"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.mark_all_read, name="read"),
    path("<str:ref>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<str:ref>/respond/", views.respond, name="respond"),
    path("<str:ref>/receipts/", views.alert_receipts, name="receipts"),
    path("<str:ref>/responses/<int:response_id>/confirm/", views.confirm, name="confirm"),
]
