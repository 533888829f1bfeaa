"""A site with the app's admin on two sites: Django's ``admin.site`` at /admin/, as in the
tests' own URLconf, and ``staff`` at /staff/, given the app's pages as docs/installation.md
says (only Django's public API). Pages under /staff/ must link under /staff/."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from tests import views

staff_site = admin.AdminSite(name="staff")
for model in apps.get_app_config("cookieconsent").get_models():
    if admin.site.is_registered(model):
        staff_site.register(model, type(admin.site.get_model_admin(model)))

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    path("staff/", staff_site.urls),
    path("cookies/", include("cookieconsent.urls")),
]
