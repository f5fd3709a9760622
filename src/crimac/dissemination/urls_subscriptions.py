from django.urls import URLPattern

app_name = "subscriptions"
urlpatterns: list[URLPattern] = []
