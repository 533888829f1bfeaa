"""The tests' own site: the app's URLs, the admin, and views that set cookies."""

from django.contrib import admin
from django.urls import include, path

from tests import views

urlpatterns = [
    path("", views.home, name="home"),
    path("workspace/", views.page, name="workspace"),
    path("t/", views.page, name="page"),
    path("t/set/", views.set_cookies, name="set-cookies"),
    path("t/async/", views.async_set_cookies, name="async-set-cookies"),
    path("t/scripted/", views.scripted, name="scripted"),
    path("t/leaky/", views.leaky, name="leaky"),
    path("t/asks-first/", views.asks_first),
    path("t/leaves/", views.leaves),
    path("admin/", admin.site.urls),
    path("cookies/", include("cookieconsent.urls")),
]
