"""URLs of the fluxems example site."""

from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from example_project.fluxems import regions, views
from example_project.fluxems.sitemaps import PagesSitemap

urlpatterns = [
    path("", views.home, name="home"),
    path("signin/", views.SignInView.as_view(), name="signin"),
    path("signout/", views.sign_out, name="signout"),
    path("workspace/", views.workspace, name="workspace"),
    path("demo/region/", regions.switch_region, name="demo-region"),
    path("admin/", admin.site.urls),
    path("cookies/", include("cookieconsent.urls")),
    path(
        "sitemap.xml",
        sitemap,
        {"sitemaps": {"pages": PagesSitemap}},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    # Browsers ask for /favicon.ico on pages that name no icon (JSON, the admin).
    path("favicon.ico", RedirectView.as_view(url=static("fluxems/favicon.svg"), permanent=True)),
]
