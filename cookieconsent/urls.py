"""``include("cookieconsent.urls")``: the consent endpoint, preferences and policy pages."""

from django.urls import path

from cookieconsent import views

app_name = "cookieconsent"

# The endpoints every decision and every cache-safe page call come first: Django tries the
# patterns in order.
urlpatterns = [
    path("consent/", views.consent, name="consent"),
    path("status/", views.status, name="status"),
    path("policy/", views.policy, name="policy"),
    path("policy/v<int:number>/", views.policy_version, name="policy_version"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/receipt/", views.receipt, name="receipt"),
]
