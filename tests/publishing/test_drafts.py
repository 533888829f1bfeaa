"""One draft, one publish: every kind of edit staff make changes neither what visitors are
shown nor what the middleware enforces until it is published, and changes both once it is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cookieconsent.models import Cookie, CookieCategory, CookiePolicy, PolicySection, RegionRule
from cookieconsent.publishing import serve as serving
from cookieconsent.testing import CONSENT_COOKIE, consent_cookie, cookies_set
from tests.helpers import publish_draft

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def regions(settings: Any, categories: dict[str, CookieCategory]) -> None:
    """Visitors say where they are (``CF-IPCountry``); no region has a rule yet."""
    settings.COOKIECONSENT = {"REGION_HEADER": "CF-IPCountry", "TRUST_REGION_HEADER": True}


def policy() -> CookiePolicy:
    current = CookiePolicy.current()
    assert current is not None
    return current


def page(path: str, **headers: str) -> str:
    return Client(**headers).get(path).content.decode()


def accepted(*names: str) -> set[str]:
    """The cookies set for a visitor who accepted every optional category."""
    client = Client()
    client.cookies[CONSENT_COOKIE] = consent_cookie({"functional", "analytics"})
    return cookies_set(client.get("/t/set/", {"c": list(names)}))


def undecided(region: str, *names: str) -> set[str]:
    return cookies_set(Client(HTTP_CF_IPCOUNTRY=region).get("/t/set/", {"c": list(names)}))


# Each edit: what staff change, and whether a visitor meets it (shown or enforced).


def _text() -> None:
    draft = policy()
    draft.introduction = "Words written after version 1."
    draft.save()


def _section() -> None:
    PolicySection.objects.create(policy=policy(), order=9, heading="Sharing", body="With no one.")


def _banner() -> None:
    draft = policy()
    draft.banner_message = "A banner message of the draft."
    draft.save()


def _translation() -> None:
    draft = policy()
    draft.translations = {"af": {"introduction": "Woorde van die konsep."}}
    draft.save()


def _category_text() -> None:
    analytics = CookieCategory.objects.get(slug="analytics")
    analytics.name = "Measurement"
    analytics.save()


def _category_required() -> None:
    functional = CookieCategory.objects.get(slug="functional")
    functional.required = True
    functional.save()


def _cookie() -> None:
    Cookie.objects.create(category=CookieCategory.objects.get(slug="analytics"), name="fresh_c")


def _cookie_moved() -> None:
    stat = Cookie.objects.get(name="_stat")
    stat.category = CookieCategory.objects.get(slug="necessary")
    stat.save()


def _regime() -> None:
    RegionRule.objects.create(policy=policy(), region="ZA", regime="notice")


EDITS: dict[str, tuple[Callable[[], None], Callable[[], bool]]] = {
    "text": (_text, lambda: "Words written after version 1." in page("/cookies/policy/")),
    "section": (_section, lambda: "Sharing" in page("/cookies/policy/")),
    "banner text": (_banner, lambda: "A banner message of the draft." in page("/t/")),
    "translation": (
        _translation,
        lambda: "Woorde van die konsep." in (serving.current("af") or Any).policy_html,
    ),
    "category text": (
        _category_text,
        lambda: (
            '<label for="cc-category-analytics">Measurement</label>'
            in page(reverse("cookieconsent:preferences"))
        ),
    ),
    "category required (enforced)": (
        _category_required,
        lambda: "functional_c" in undecided("DE", "functional_c"),
    ),
    "cookie declaration (enforced)": (_cookie, lambda: "fresh_c" in accepted("fresh_c")),
    "cookie declaration (shown)": (_cookie, lambda: "fresh_c" in page("/cookies/policy/")),
    "cookie moved (enforced)": (_cookie_moved, lambda: "_stat" in undecided("DE", "_stat")),
    "regime (enforced)": (_regime, lambda: "analytics_c" in undecided("ZA", "analytics_c")),
    "regime (shown)": (
        _regime,
        lambda: 'data-cookieconsent-regime="notice"' in page("/t/", HTTP_CF_IPCOUNTRY="ZA"),
    ),
}


@pytest.mark.parametrize("kind", EDITS)
def test_an_edit_reaches_visitors_only_once_published(kind):
    edit, in_effect = EDITS[kind]
    assert not in_effect()
    edit()
    assert not in_effect(), "a draft edit reached visitors before it was published"
    publish_draft()
    assert in_effect(), "the published edit did not reach visitors"


def test_a_cookie_of_the_draft_is_an_undeclared_cookie_until_published(settings):
    """Blocked and listed in the inbox as any undeclared cookie is; with undeclared cookies
    allowed, let through as they are."""
    _cookie()
    assert "fresh_c" not in accepted("fresh_c")
    settings.COOKIECONSENT = {"UNDECLARED_COOKIES": "allow"}
    assert "fresh_c" in undecided("DE", "fresh_c")
    publish_draft()
    assert "fresh_c" not in undecided("DE", "fresh_c")  # declared optional: waits for consent
    assert "fresh_c" in accepted("fresh_c")
