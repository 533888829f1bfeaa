"""The tests' site with a sitemap, for the scanner's default list of pages."""

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap
from django.urls import path, reverse

from tests.urls import urlpatterns as site


class Pages(Sitemap):
    limit = 2  # two pages of sitemap: every page is read

    def items(self) -> list[str]:
        return ["home", "page", "scripted"]

    def location(self, item: str) -> str:
        return reverse(item)


urlpatterns = [
    *site,
    path("sitemap.xml", sitemap, {"sitemaps": {"pages": Pages, "again": Pages()}}),
]
