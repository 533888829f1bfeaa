"""A site that mounts the app's admin on an ``AdminSite`` of its own, ``staff`` at /staff/,
while its default admin (named ``admin``, at /admin/) has only users and groups: the app's
URL names exist under ``staff`` only. The app's admin classes are registered one by one, as
a site that subclasses or picks them would."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.urls import include, path

from cookieconsent.admin.console import StatisticsAdmin, UndeclaredCookieAdmin
from cookieconsent.admin.cookies import CookieAdmin, CookieCategoryAdmin
from cookieconsent.admin.policy import CookiePolicyAdmin
from cookieconsent.admin.records import ConsentRecordAdmin
from cookieconsent.admin.versions import PublishedVersionAdmin
from cookieconsent.models import (
    ConsentRecord,
    Cookie,
    CookieCategory,
    CookiePolicy,
    DailyDecisions,
    PublishedVersion,
    UndeclaredCookie,
)
from tests import views

#: The app's admin classes, as a site registers them on a site of its own.
APP_ADMINS: dict[type, type[admin.ModelAdmin]] = {
    CookiePolicy: CookiePolicyAdmin,
    CookieCategory: CookieCategoryAdmin,
    Cookie: CookieAdmin,
    PublishedVersion: PublishedVersionAdmin,
    ConsentRecord: ConsentRecordAdmin,
    DailyDecisions: StatisticsAdmin,
    UndeclaredCookie: UndeclaredCookieAdmin,
}


staff_site = admin.AdminSite(name="staff")
for model, model_admin in APP_ADMINS.items():
    staff_site.register(model, model_admin)

default_site = admin.AdminSite(name="admin")
default_site.register(get_user_model(), UserAdmin)
default_site.register(Group, GroupAdmin)

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", default_site.urls),
    path("staff/", staff_site.urls),
    path("cookies/", include("cookieconsent.urls")),
]
