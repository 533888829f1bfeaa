"""The tests' site with a sitemap index at /sitemap.xml, for the audit's ``--sitemap``: it
leads to a sitemap of the leaky page (and lists pages elsewhere, which the audit leaves out)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.html import escape

from tests.urls import urlpatterns as site

_XML = '<?xml version="1.0" encoding="UTF-8"?>\n<{0} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{1}</{0}>'


def _xml(root: str, entry: str, locations: list[str]) -> HttpResponse:
    body = "".join(f"<{entry}><loc>{escape(loc)}</loc></{entry}>" for loc in locations)
    return HttpResponse(_XML.format(root, body), content_type="application/xml")


def index(request: HttpRequest) -> HttpResponse:
    here = request.build_absolute_uri("/")
    return _xml(
        "sitemapindex",
        "sitemap",
        [f"{here}sitemap-pages.xml", "https://elsewhere.example/sitemap.xml"],
    )


def pages(request: HttpRequest) -> HttpResponse:
    here = request.build_absolute_uri("/")
    return _xml("urlset", "url", [f"{here}t/leaky/?q=<i>", "https://elsewhere.example/"])


urlpatterns = [
    *site,
    path("sitemap.xml", index),
    path("sitemap-pages.xml", pages),
]
