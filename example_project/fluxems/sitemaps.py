"""The fluxems sitemap: the public pages, which ``cookieconsent_scan`` visits by default."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import reverse


class PagesSitemap(Sitemap):
    changefreq = "weekly"

    def items(self) -> list[str]:
        return ["home", "workspace", "signin", "cookieconsent:policy"]

    def location(self, item: str) -> str:
        return reverse(item)
