from django.urls import path

from crimac.dissemination import views

app_name = "dissemination"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<str:ref>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<str:ref>/respond/", views.respond, name="respond"),
]
