from django.urls import path

from crimac.matching import views

app_name = "matching"
urlpatterns = [
    path("", views.match_list, name="list"),
    path("<int:match_id>/confirm/", views.match_confirm, name="confirm"),
    path("<int:match_id>/reject/", views.match_reject, name="reject"),
]
