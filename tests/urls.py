"""The fluxems example site, plus views of the tests' own under /t/."""

from django.urls import include, path

from tests import views

urlpatterns = [
    path("t/", views.page, name="page"),
    path("t/set/", views.set_cookies, name="set-cookies"),
    path("t/async/", views.async_set_cookies, name="async-set-cookies"),
    path("t/scripted/", views.scripted, name="scripted"),
    path("", include("example_project.urls")),
]
