from django.urls import path

from crimac.search import views

app_name = "search"
urlpatterns = [
    path("", views.results, name="results"),
    path("persons/", views.person_search, name="persons"),
]
