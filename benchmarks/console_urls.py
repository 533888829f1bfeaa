"""URLs for ``benchmarks/stats_million.py``: the admin, and a bare view to compare against."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import path


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [
    path("bare/", bare),
    path("admin/", admin.site.urls),
]
