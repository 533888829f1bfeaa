"""A site with the fewest apps the app needs: ``contenttypes`` and ``cookieconsent``, and no
admin, auth, sessions or messages. Run in a process of its own, since this suite's settings
install all of them, and an app imported once stays imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


def test_a_site_without_the_admin_auth_or_sessions(tmp_path: Path) -> None:
    (tmp_path / "site_settings.py").write_text(SETTINGS)
    (tmp_path / "site_urls.py").write_text(URLS)
    (tmp_path / "home.html").write_text(
        "{% load cookieconsent %}<html><body>Hello {% cookieconsent_banner %}</body></html>"
    )
    (tmp_path / "run.py").write_text(RUN)
    ran = subprocess.run(
        [sys.executable, "run.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr
    seen = json.loads(ran.stdout.splitlines()[-1])
    assert seen["first"] == [200, [], True]  # the canary held back, the banner shown
    assert seen["/cookies/policy/"] == 200
    assert seen["/cookies/preferences/"] == 200
    assert seen["/cookies/status/"] == 200
    assert seen["posted"] == [302, 1]
    assert seen["after"] == [200, ["_stat"]]
    assert seen["receipt"] == 200
