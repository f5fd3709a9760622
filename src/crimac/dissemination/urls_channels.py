from django.urls import path

from crimac.dissemination import views_channels

app_name = "channels"
urlpatterns = [
    path("", views_channels.index, name="index"),
    path("dead/", views_channels.dead_letters, name="dead"),
]
