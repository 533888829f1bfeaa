from django.contrib import admin
from django.urls import include, path

from tests import views

urlpatterns = [
    path("", views.page, name="page"),
    path("set/", views.set_cookies, name="set-cookies"),
    path("async/", views.async_set_cookies, name="async-set-cookies"),
    path("admin/", admin.site.urls),
    path("cookies/", include("cookieconsent.urls")),
]
