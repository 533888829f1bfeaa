"""Sites set up unlike this suite's, each run in a process of its own (an app imported once
stays imported; a database router is read once): one with the fewest apps the app needs
(``contenttypes`` and ``cookieconsent``: no admin, auth, sessions or messages), and one that
keeps the app's tables in a database of their own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

SETTINGS = """
SECRET_KEY = "minimal-site-" + "x" * 40
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = ["django.contrib.contenttypes", "cookieconsent"]
MIDDLEWARE = [
    "cookieconsent.middleware.CookieConsentMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "site_urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": ["."],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
}]
USE_TZ = True
"""

URLS = """
from django.shortcuts import render
from django.urls import include, path


def home(request):
    response = render(request, "home.html")
    response.set_cookie("_stat", "1")
    return response


urlpatterns = [path("", home), path("cookies/", include("cookieconsent.urls"))]
"""

RUN = """
import io, json, os
os.environ["DJANGO_SETTINGS_MODULE"] = "site_settings"
import django
django.setup()
from django.core.management import call_command
from django.test import Client

call_command("check", fail_level="WARNING", stdout=io.StringIO())
call_command("migrate", verbosity=0)
from cookieconsent.models import ConsentRecord, Cookie, CookieCategory, CookiePolicy

analytics = CookieCategory.objects.create(slug="analytics", name="Analytics", purpose="Stats.")
CookieCategory.objects.create(slug="necessary", name="Necessary", required=True, purpose="-")
Cookie.objects.create(name="_stat", category=analytics)
CookiePolicy.objects.create(title="Cookie Policy", is_current=True)
call_command("cookieconsent_publish", stdout=io.StringIO())
client = Client()
seen = {}
first = client.get("/")
seen["first"] = [first.status_code, sorted(first.cookies), "cookieconsent-banner" in first.text]
for url in ("/cookies/policy/", "/cookies/preferences/", "/cookies/status/"):
    seen[url] = client.get(url).status_code
posted = client.post("/cookies/consent/", {"action": "accept_all"})
seen["posted"] = [posted.status_code, ConsentRecord.objects.count()]
after = client.get("/")
seen["after"] = [after.status_code, sorted(after.cookies)]
seen["receipt"] = client.get("/cookies/preferences/receipt/").status_code
print(json.dumps(seen))
"""


def run_site(folder: Path, script: str, **modules: str) -> dict[str, Any]:
    """Run ``script`` in a new process, in ``folder`` with the minimal site's settings, URLs
    and page (and ``modules``, by name), and return what it printed last, as JSON."""
    files = {"site_settings": SETTINGS, "site_urls": URLS, **modules, "run": script}
    for name, text in files.items():
        (folder / f"{name}.py").write_text(text)
    (folder / "home.html").write_text(
        "{% load cookieconsent %}<html><body>Hello {% cookieconsent_banner %}</body></html>"
    )
    ran = subprocess.run(
        [sys.executable, "run.py"], cwd=folder, capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr
    seen: dict[str, Any] = json.loads(ran.stdout.splitlines()[-1])
    return seen


def test_a_site_without_the_admin_auth_or_sessions(tmp_path: Path) -> None:
    seen = run_site(tmp_path, RUN)
    assert seen["first"] == [200, [], True]  # the canary held back, the banner shown
    assert seen["/cookies/policy/"] == 200
    assert seen["/cookies/preferences/"] == 200
    assert seen["/cookies/status/"] == 200
    assert seen["posted"] == [302, 1]
    assert seen["after"] == [200, ["_stat"]]
    assert seen["receipt"] == 200


ROUTED_SETTINGS = """
from site_settings import *

INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "cookieconsent",
]
MIDDLEWARE = [
    "cookieconsent.middleware.CookieConsentMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES[0]["OPTIONS"]["context_processors"] += [
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
]
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "site.sqlite3"},
    "consent": {"ENGINE": "django.db.backends.sqlite3", "NAME": "consent.sqlite3"},
}
DATABASE_ROUTERS = ["routed_urls.ConsentRouter"]
ROOT_URLCONF = "routed_urls"
COOKIECONSENT = {"RECORD_RETENTION": 400 * 24 * 3600}
"""

ROUTED_URLS = """
from django.contrib import admin
from django.urls import path

from site_urls import urlpatterns as site


class ConsentRouter:
    \"\"\"The app's tables in the database ``consent``, everything else in ``default``.\"\"\"

    def db_for_read(self, model, **hints):
        return "consent" if model._meta.app_label == "cookieconsent" else "default"

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, **hints):
        return db == ("consent" if app_label == "cookieconsent" else "default")


urlpatterns = [path("admin/", admin.site.urls), *site]
"""

ROUTED_RUN = """
import datetime as dt, io, json, os, sqlite3
os.environ["DJANGO_SETTINGS_MODULE"] = "routed_settings"
import django
django.setup()
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

call_command("check", fail_level="WARNING", stdout=io.StringIO())
call_command("migrate", verbosity=0)
call_command("migrate", database="consent", verbosity=0)
from cookieconsent.console import shown
from cookieconsent.models import (
    ConsentRecord, Cookie, CookieCategory, CookiePolicy, UndeclaredCookie,
)

analytics = CookieCategory.objects.create(slug="analytics", name="Analytics", purpose="Stats.")
CookieCategory.objects.create(slug="necessary", name="Necessary", required=True, purpose="-")
Cookie.objects.create(name="_stat", category=analytics)
CookiePolicy.objects.create(title="Cookie Policy", is_current=True)
call_command("cookieconsent_publish", stdout=io.StringIO())
seen = {}
visitor = Client()
visitor.cookies["_hjid"] = "1"  # undeclared: goes to the inbox
seen["first"] = sorted(visitor.get("/").cookies)
visitor.post("/cookies/consent/", {"action": "accept_all"})
visitor.post("/cookies/consent/", {"action": "reject_all"})
shown.flush()
ConsentRecord.objects.create(
    created_at=timezone.now() - dt.timedelta(days=500), policy_version=1, action="accept_all"
)
out = io.StringIO()
call_command("cookieconsent_verify", stdout=out)
seen["verified"] = "verifies: 3 records" in out.getvalue()
call_command("cookieconsent_purge", stdout=io.StringIO())
out = io.StringIO()
call_command("cookieconsent_verify", stdout=out)
seen["verified after the purge"] = "verifies: 2 records" in out.getvalue()
staff = Client()
staff.force_login(User.objects.create_superuser("staff", "staff@example.com", "-"))
seen["admin"] = [
    staff.get(url).status_code
    for url in (
        "/admin/",
        "/admin/cookieconsent/consentrecord/",
        "/admin/cookieconsent/consentrecord/export/?format=csv",
        "/admin/cookieconsent/dailydecisions/",
        "/admin/cookieconsent/undeclaredcookie/",
        "/admin/cookieconsent/cookiepolicy/1/publish/",
    )
]
tables = {}
for name in ("site", "consent"):
    with sqlite3.connect(name + ".sqlite3") as db:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        tables[name] = sorted(r[0] for r in rows if r[0].startswith("cookieconsent_"))
seen["app tables in the site's database"] = tables["site"]
seen["records"] = ConsentRecord.objects.count()
seen["undeclared"] = list(UndeclaredCookie.objects.values_list("name", flat=True))
print(json.dumps(seen))
"""


def test_a_site_that_keeps_the_apps_tables_in_a_database_of_their_own(tmp_path: Path) -> None:
    seen = run_site(tmp_path, ROUTED_RUN, routed_settings=ROUTED_SETTINGS, routed_urls=ROUTED_URLS)
    assert seen["first"] == []
    assert seen["verified"] and seen["verified after the purge"]
    assert seen["admin"] == [200] * 6
    assert seen["app tables in the site's database"] == []
    assert seen["records"] == 2
    assert seen["undeclared"] == ["_hjid"]
