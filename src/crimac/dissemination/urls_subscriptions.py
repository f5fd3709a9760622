from django.urls import URLPattern, path

from crimac.dissemination import views_subscriptions

app_name = "subscriptions"
urlpatterns: list[URLPattern] = [
    path("", views_subscriptions.subscription_list, name="list"),
]
