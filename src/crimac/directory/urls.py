from django.urls import path

from crimac.directory import views

app_name = "directory"
urlpatterns = [
    path("agencies/", views.agency_list, name="agencies"),
    path("agencies/<str:code>/", views.agency_detail, name="agency"),
    path("apikeys/", views.apikeys, name="apikeys"),
]
