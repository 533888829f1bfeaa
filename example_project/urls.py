"""URLs of the fluxems example site."""

from django.contrib import admin
from django.urls import include, path

from example_project.fluxems import regions, views

urlpatterns = [
    path("", views.home, name="home"),
    path("signin/", views.SignInView.as_view(), name="signin"),
    path("signout/", views.sign_out, name="signout"),
    path("workspace/", views.workspace, name="workspace"),
    path("demo/region/", regions.switch_region, name="demo-region"),
    path("admin/", admin.site.urls),
    path("cookies/", include("cookieconsent.urls")),
]
