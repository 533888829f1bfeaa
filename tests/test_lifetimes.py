"""Lifetimes as people write them: parsed, shown, and refused with a clear message."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.forms import modelform_factory
from django.utils import translation

from cookieconsent.lifetimes import LifetimeFormField, format_lifetime, parse_lifetime
from cookieconsent.models import Cookie

DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("session", None),
        ("  Session ", None),
        ("30 minutes", timedelta(minutes=30)),
        ("1 minute", timedelta(minutes=1)),
        ("90 min", timedelta(minutes=90)),
        ("2 hours", timedelta(hours=2)),
        ("14 days", 14 * DAY),
        ("1 day", DAY),
        ("2 weeks", 14 * DAY),
        ("13 months", 390 * DAY),
        ("2 years", 730 * DAY),
        ("1 Year", 365 * DAY),
        ("1 year 6 months", 545 * DAY),
        ("1 year, 6 months and 2 days", 547 * DAY),
        ("14d", 14 * DAY),
        ("45 seconds", timedelta(seconds=45)),
        # Django's own notation, as the old form showed it, and ISO 8601.
        ("365 00:00:00", 365 * DAY),
        ("P14D", 14 * DAY),
    ],
)
def test_parse(text, expected):
    assert parse_lifetime(text) == expected


@pytest.mark.parametrize(
    "text", ["forever", "14", "2.5", "2 fortnights", "years", "2 years soon", "-3 days", "P"]
)
def test_refused_with_a_clear_message(text):
    with pytest.raises(ValidationError) as info:
        parse_lifetime(text)
    assert "“session”, “30 minutes”, “14 days”, “13 months” or “2 years”" in info.value.messages[0]


def test_zero_is_refused():
    with pytest.raises(ValidationError, match="use “session”"):
        parse_lifetime("0 days")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "session"),
        (730 * DAY, "2 years"),
        (390 * DAY, "13 months"),
        (14 * DAY, "14 days"),
        (7 * DAY, "7 days"),
        (400 * DAY, "400 days"),
        (timedelta(minutes=30), "30 minutes"),
        (timedelta(minutes=90), "90 minutes"),
        (timedelta(seconds=61), "61 seconds"),
        (timedelta(milliseconds=5), "0:00:00.005000"),
    ],
)
def test_format_round_trips(value, shown):
    assert format_lifetime(value) == shown
    assert parse_lifetime(shown) == value


def test_the_admin_language_is_read_back():
    with translation.override("af"):
        shown = format_lifetime(730 * DAY)
        assert shown != "2 years"  # the app ships Afrikaans
        assert parse_lifetime(shown) == 730 * DAY
        assert parse_lifetime(format_lifetime(None)) is None


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (730 * DAY, "2 jaar"),
        (390 * DAY, "13 maande"),
        (14 * DAY, "14 dae"),
        (timedelta(hours=5), "5 uur"),
        (timedelta(minutes=1), "1 minuut"),
        (timedelta(seconds=1), "1 sekonde"),
        (timedelta(seconds=59), "59 sekondes"),
    ],
)
def test_every_unit_is_shown_and_read_back_in_afrikaans(value, shown):
    with translation.override("af"):
        assert format_lifetime(value) == shown
        assert parse_lifetime(shown) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1 week", 7 * DAY), ("3 weke", 21 * DAY), ("1 sekonde", timedelta(seconds=1))],
)
def test_weeks_and_seconds_are_read_in_afrikaans(text, expected):
    with translation.override("af"):
        assert parse_lifetime(text) == expected


#: A Welsh catalogue of a site's own: six plural forms, one of them for 6 alone.
WELSH = r"""msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=6; plural=(n==0) ? 0 : (n==1) ? 1 : (n==2) ? 2 : "
"(n==3) ? 3 : (n==6) ? 4 : 5;\n"

msgid "%(n)d day"
msgid_plural "%(n)d days"
msgstr[0] "%(n)d diwrnod"
msgstr[1] "%(n)d diwrnod"
msgstr[2] "%(n)d ddiwrnod"
msgstr[3] "%(n)d diwrnod"
msgstr[4] "%(n)d niwrnod"
msgstr[5] "%(n)d diwrnod"
"""


def test_every_plural_form_of_a_sites_language_is_read(tmp_path, settings):
    """A site that translates the units into a language with more plural forms than
    English and Afrikaans: each form is read back, here Welsh's for 6 alone."""
    if shutil.which("msgfmt") is None:
        pytest.skip("GNU gettext is not installed (apt-get install gettext)")
    catalogue = tmp_path / "cy" / "LC_MESSAGES"
    catalogue.mkdir(parents=True)
    (catalogue / "django.po").write_text(WELSH, encoding="utf-8")
    subprocess.run(
        ["msgfmt", "-o", str(catalogue / "django.mo"), str(catalogue / "django.po")], check=True
    )
    settings.LOCALE_PATHS = [str(tmp_path)]
    with translation.override("cy"):
        assert format_lifetime(6 * DAY) == "6 niwrnod"
        assert parse_lifetime("6 niwrnod") == 6 * DAY
        assert parse_lifetime("2 ddiwrnod") == 2 * DAY


def test_the_model_form_uses_words():
    form_class = modelform_factory(Cookie, fields=["lifetime"])
    field = form_class.base_fields["lifetime"]
    assert isinstance(field, LifetimeFormField)
    form = form_class(instance=Cookie(name="x", lifetime=390 * DAY))
    assert 'value="13 months"' in str(form["lifetime"])
    bound = form_class({"lifetime": "2 years"})
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data["lifetime"] == 730 * DAY
    bad = form_class({"lifetime": "a while"})
    assert not bad.is_valid()
    assert "“13 months”" in bad.errors["lifetime"][0]
    # A value that failed is shown back as typed, not lost.
    assert 'value="a while"' in str(bad["lifetime"])


def test_the_form_field_takes_a_duration_as_it_is():
    assert LifetimeFormField(required=False).clean(DAY) == DAY
    assert LifetimeFormField(required=False).clean("") is None


@pytest.mark.parametrize(
    "text",
    [
        "101 years",
        "3000000 years",
        "P9999999999D",
        "999999999 00:00:00",
        "99999999999999999999 s",
        "9" * 5000 + " seconds",
        "1 year 99999999999999 days",
    ],
)
def test_a_lifetime_beyond_a_hundred_years_is_refused_with_a_clear_message(text):
    """They ended in a server error: ``timedelta`` overflowed, or SQLite's integer did."""
    with pytest.raises(ValidationError) as info:
        parse_lifetime(text)
    assert info.value.messages == ["A lifetime can be at most 100 years."]


@pytest.mark.parametrize(
    ("text", "lifetime"),
    [
        ("0000000000001 seconds", timedelta(seconds=1)),
        ("0" * 5000 + "30 days", timedelta(days=30)),
        ("000000000000000000 days 1 hour", timedelta(hours=1)),
    ],
)
def test_zeros_in_front_of_a_number_are_not_counted_as_its_digits(text, lifetime):
    """A number is too long for a lifetime by its digits from the first that counts: 13 digits
    that say 1 are one second, not over a hundred years."""
    assert parse_lifetime(text) == lifetime


@pytest.mark.django_db
def test_the_longest_lifetime_is_stored_and_read_back(categories):
    cookie = Cookie.objects.create(
        name="long_lived", category=categories["functional"], lifetime=parse_lifetime("100 years")
    )
    cookie.refresh_from_db()
    assert cookie.lifetime == 36500 * DAY
    assert format_lifetime(cookie.lifetime) == "100 years"
