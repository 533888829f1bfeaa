"""The fluxems example site, through Django's test client, on the seeded Cookie Policy."""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path
from types import ModuleType

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from cookieconsent.checks import check_middleware
from cookieconsent.console import stats
from cookieconsent.models import ConsentRecord, DailyDecisions
from cookieconsent.testing import cookies_expired, cookies_set
from example_project.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INERT_ANALYTICS = (
    '<script type="text/plain" data-cookieconsent="analytics" src="/static/fluxems/analytics.js">'
)
LIVE_ANALYTICS = '<script src="/static/fluxems/analytics.js"></script>'


def decide(client: Client, action: str, *categories: str) -> None:
    response = client.post(
        reverse("cookieconsent:consent"),
        {"action": action, "categories": list(categories), "next": "/"},
    )
    assert response.status_code == 302


def sign_in(client: Client, **extra: object) -> tuple[object, object]:
    user = UserFactory()
    response = client.post(
        reverse("signin"), {"username": user.username, "password": "pw"}, **extra
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    return user, response


# -- pages ---------------------------------------------------------------------------------


def test_home_shows_the_banner_to_a_new_visitor(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="cookieconsent-banner"' in html
    # The banner comes first, right after the skip link, before the site's header.
    assert html.index('class="skip-link"') < html.index("cookieconsent-banner")
    assert html.index("cookieconsent-banner") < html.index('class="site-header"')


def test_banner_goes_once_decided(client):
    decide(client, "reject_all")
    assert "cookieconsent-banner" not in client.get(reverse("home")).content.decode()


def test_layout(client):
    html = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in html
    assert "<main " in html and "<footer " in html and '<nav aria-label="Main">' in html
    assert 'href="/static/cookieconsent/cookieconsent.min.css"' in html
    assert (
        '<script src="/static/cookieconsent/cookieconsent.min.js" defer data-cookieconsent-config='
        in html
    )
    assert f'href="{reverse("cookieconsent:policy")}"' in html


def test_footer_has_the_cookie_settings_link(client):
    """It returns the visitor to the page they are on."""
    html = client.get(reverse("workspace")).content.decode()
    footer = html[html.index("<footer") :]
    assert (
        f'<a href="{reverse("cookieconsent:preferences")}?next=/workspace/" '
        'class="cc-settings-link" data-cookieconsent-open>Cookie settings</a>'
    ) in footer


def test_app_pages_use_the_site_layout(client):
    html = client.get(reverse("cookieconsent:preferences")).content.decode()
    assert "<title>Cookie settings · fluxems</title>" in html
    assert 'class="site-header"' in html and 'class="site-footer"' in html
    assert 'id="cookieconsent-preferences"' in html


def test_sign_in_form_fields_are_labelled(client):
    html = client.get(reverse("signin")).content.decode()
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html


# -- sign in and out -----------------------------------------------------------------------


def test_sign_in_sets_the_required_cookies_for_an_undecided_visitor(client):
    _, response = sign_in(client)
    assert {"femstd", "session"} <= cookies_set(response)
    session = response.cookies["session"]
    assert session["httponly"] and session["samesite"] == "Lax"
    assert not session["secure"]
    assert len(session.value) >= 32
    assert response.cookies["femstd"]["httponly"]
    assert "Sign out" in client.get(reverse("home")).content.decode()


def test_session_cookie_is_secure_over_https(client):
    _, response = sign_in(client, secure=True)
    assert response.cookies["session"]["secure"]


def test_wrong_password_sets_no_session(client):
    user = UserFactory()
    response = client.post(reverse("signin"), {"username": user.username, "password": "no"})
    assert response.status_code == 200
    assert "session" not in response.cookies
    assert 'role="alert"' in response.content.decode()


def test_sign_out_deletes_the_security_cookie(client):
    sign_in(client)
    response = client.post(reverse("signout"))
    assert response.status_code == 302
    assert "session" in cookies_expired(response)
    assert "Sign in" in client.get(reverse("home")).content.decode()
    assert client.get(reverse("signout")).status_code == 405


# -- the Workspace chooser -----------------------------------------------------------------


def test_workspace_is_not_remembered_without_functional_consent(client):
    response = client.post(reverse("workspace"), {"workspace": "fluxems-demo"})
    assert response.status_code == 302
    assert "prefs" not in cookies_set(response)
    page = client.get(response["Location"]).content.decode()
    assert "Functional cookies are off" in page
    assert "Fluxems Demo</strong>" not in client.get(reverse("home")).content.decode()


def test_workspace_is_remembered_once_functional_is_allowed(client):
    decide(client, "custom", "functional")
    response = client.post(reverse("workspace"), {"workspace": "fluxems-demo"})
    assert "prefs" in cookies_set(response)
    assert response.cookies["prefs"]["max-age"] == 365 * 24 * 60 * 60
    page = client.get(response["Location"]).content.decode()
    assert "Your Workspace is now Fluxems Demo." in page
    assert "Current Workspace: <strong>Fluxems Demo</strong>" in client.get("/").content.decode()
    assert 'value="fluxems-demo" checked' in client.get(reverse("workspace")).content.decode()


def test_withdrawing_functional_forgets_the_workspace(client):
    decide(client, "custom", "functional")
    client.post(reverse("workspace"), {"workspace": "sandbox"})
    response = client.post(reverse("cookieconsent:consent"), {"action": "reject_all"})
    assert "prefs" in cookies_expired(response)
    assert "Current Workspace" not in client.get(reverse("home")).content.decode()


def test_unknown_workspace_is_refused(client):
    response = client.post(reverse("workspace"), {"workspace": "elsewhere"})
    assert response.status_code == 400
    assert "prefs" not in response.cookies
    assert 'aria-describedby="workspace-error"' in response.content.decode()


# -- analytics -----------------------------------------------------------------------------


def test_stat_is_never_set_before_analytics_is_accepted(client):
    visits = [
        lambda: client.get(reverse("home")),  # the very first response
        lambda: client.get(reverse("workspace")),
        lambda: client.get(reverse("cookieconsent:policy")),
        lambda: client.get(reverse("cookieconsent:preferences")),
        lambda: client.get(reverse("signin")),
        lambda: client.post(reverse("workspace"), {"workspace": "sandbox"}),
        lambda: client.post(
            reverse("cookieconsent:consent"),
            {"action": "custom", "categories": ["functional"], "next": "/"},
        ),
        lambda: client.get(reverse("home")),
        lambda: client.post(reverse("cookieconsent:consent"), {"action": "reject_all"}),
        lambda: client.get(reverse("home")),
    ]
    for visit in visits:
        response = visit()
        assert "_stat" not in cookies_set(response)
        assert "_stat" not in response.serialize_headers().decode()

    decide(client, "accept_all")
    assert "_stat" in cookies_set(client.get(reverse("home")))


def test_analytics_script_is_inert_until_accepted(client):
    html = client.get(reverse("home")).content.decode()
    assert INERT_ANALYTICS in html
    assert LIVE_ANALYTICS not in html

    decide(client, "accept_all")
    html = client.get(reverse("home")).content.decode()
    assert LIVE_ANALYTICS in html
    assert 'data-cookieconsent="analytics"' not in html


def test_analytics_script_sets_stat_and_flags_itself():
    path = finders.find("fluxems/analytics.js")
    assert path is not None
    script = Path(path).read_text()
    assert 'document.cookie = "_stat=js; path=/; max-age=31536000; SameSite=Lax"' in script
    assert "window.fluxemsAnalyticsLoaded = true" in script


# -- the example's settings and commands ---------------------------------------------------

ENV_VARS = ("DATABASE_URL", "CACHE_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "SECURE_COOKIES")


def example_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return importlib.reload(importlib.import_module("example_project.settings"))


def test_settings_import_with_nothing_set(monkeypatch):
    example = example_settings(monkeypatch)
    database = example.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(database["NAME"]) == Path(example.__file__).parent / "db.sqlite3"
    assert example.CACHES["default"]["BACKEND"].endswith("LocMemCache")
    assert example.SESSION_COOKIE_NAME == "femstd"
    assert example.DEBUG is True
    assert example.ALLOWED_HOSTS == ["127.0.0.1", "localhost"]
    assert "insecure" in example.SECRET_KEY
    assert example.MIDDLEWARE[0] == "cookieconsent.middleware.CookieConsentMiddleware"
    apps = example.INSTALLED_APPS
    assert apps.index("example_project.fluxems") < apps.index("cookieconsent")
    assert not example.SESSION_COOKIE_SECURE


def test_settings_read_the_environment(monkeypatch):
    example = example_settings(
        monkeypatch,
        DATABASE_URL="postgres://u:p@db:5432/fluxems",
        DEBUG="false",
        ALLOWED_HOSTS="fluxems.example,www.fluxems.example",
    )
    assert example.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert example.ALLOWED_HOSTS == ["fluxems.example", "www.fluxems.example"]
    assert example.SESSION_COOKIE_SECURE and example.COOKIECONSENT["COOKIE_SECURE"]


def test_example_middleware_passes_the_check(monkeypatch):
    example = example_settings(monkeypatch)
    with override_settings(MIDDLEWARE=example.MIDDLEWARE):
        assert check_middleware() == []


def test_demo_user_is_created_then_reset(capsys):
    call_command("demo_user")
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8000/admin/" in out and "demo-fluxems" in out
    user = get_user_model().objects.get(username="demo")
    assert user.is_staff and user.is_superuser and user.check_password("demo-fluxems")

    user.set_password("changed")
    user.save()
    call_command("demo_user", base_url="http://localhost:8011/")
    assert "http://localhost:8011/admin/" in capsys.readouterr().out
    user.refresh_from_db()
    assert user.check_password("demo-fluxems")
    assert get_user_model().objects.filter(username="demo").count() == 1


def test_the_statistics_page_counts_todays_visitors_and_each_day_once_it_is_over(client):
    """Three fluxems visitors decide; the demo admin sees them on the Statistics page at once
    (counted from today's records), and once the day is over they are counted into the daily
    tables, exactly once."""
    for action in ("accept_all", "reject_all", "accept_all"):
        decide(Client(), action)
    assert ConsentRecord.objects.count() == 3
    assert not DailyDecisions.objects.exists()  # each POST wrote its record alone
    call_command("demo_user")
    client.login(username="demo", password="demo-fluxems")
    page = client.get("/admin/cookieconsent/dailydecisions/")
    assert page.status_code == 200
    assert page.context["stats"].totals == {"accept_all": 2, "reject_all": 1}
    assert "3 decisions from" in page.content.decode()

    tomorrow = timezone.now() + dt.timedelta(days=1, minutes=15)
    assert stats.roll_up(tomorrow) == [timezone.localdate()]
    assert sum(DailyDecisions.objects.values_list("decisions", flat=True)) == 3
    again = client.get("/admin/cookieconsent/dailydecisions/")
    assert again.context["stats"].totals == {"accept_all": 2, "reject_all": 1}
