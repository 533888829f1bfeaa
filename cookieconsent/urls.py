"""``include("cookieconsent.urls")``: the consent endpoint, preferences and policy pages."""

from django.urls import path

from cookieconsent import views

app_name = "cookieconsent"

urlpatterns = [
    path("policy/", views.policy, name="policy"),
    path("preferences/", views.preferences, name="preferences"),
    path("consent/", views.consent, name="consent"),
    path("status/", views.status, name="status"),
]
