"""URLs of the fluxems example site."""

from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from example_project.fluxems import views
from example_project.fluxems.sitemaps import PagesSitemap

urlpatterns = [
    path("", views.home, name="home"),
    path("signin/", views.SignInView.as_view(), name="signin"),
    path("signout/", views.sign_out, name="signout"),
    path("workspace/", views.workspace, name="workspace"),
    path("admin/", admin.site.urls),
    path("cookies/", include("cookieconsent.urls")),
    path(
        "sitemap.xml",
        sitemap,
        {"sitemaps": {"pages": PagesSitemap}},
        name="django.contrib.sitemaps.views.sitemap",
    ),
]
