"""Cookie lifetimes as people write them: “session”, “30 minutes”, “14 days”, “2 years”.

The database keeps a duration (``None`` for a session cookie); staff read and type words. A
month counts as 30 days and a year as 365, as in the policy's table. Unit words are English
or the admin's language (its translations of “%(n)d year”, …), so what the form shows in
any language it also reads back.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.dateparse import parse_duration
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR

# (seconds, a count of the unit in the active language, English words and abbreviations),
# largest first. ``ngettext_lazy`` marks every unit for translation (makemessages finds it
# only in such a call) and takes the plural form of the ``n`` it is given.
_UNITS = (
    (
        365 * DAY,
        ngettext_lazy("%(n)d year", "%(n)d years", "n"),
        ("year", "years", "yr", "yrs", "y"),
    ),
    (30 * DAY, ngettext_lazy("%(n)d month", "%(n)d months", "n"), ("month", "months", "mo")),
    (7 * DAY, ngettext_lazy("%(n)d week", "%(n)d weeks", "n"), ("week", "weeks", "wk", "wks", "w")),
    (DAY, ngettext_lazy("%(n)d day", "%(n)d days", "n"), ("day", "days", "d")),
    (HOUR, ngettext_lazy("%(n)d hour", "%(n)d hours", "n"), ("hour", "hours", "hr", "hrs", "h")),
    (
        MINUTE,
        ngettext_lazy("%(n)d minute", "%(n)d minutes", "n"),
        ("minute", "minutes", "min", "mins", "m"),
    ),
    (
        1,
        ngettext_lazy("%(n)d second", "%(n)d seconds", "n"),
        ("second", "seconds", "sec", "secs", "s"),
    ),
)
_SESSION_WORDS = ("session", "browser session", "until the browser closes")
_PART = re.compile(r"(\d+)\s*([^\d\s,+]+)")
_SEPARATORS = re.compile(r"\s*(?:,|\band\b|\+)\s*|\s+")

#: The error a lifetime nobody could read gets.
INVALID = _(
    "Enter a lifetime such as “session”, “30 minutes”, “14 days”, “13 months” or “2 years” "
    "(a month is 30 days, a year 365)."
)

HELP_TEXT = _("How long the browser keeps it: “session”, “30 minutes”, “14 days”, “2 years”.")

#: The longest lifetime read: far beyond what browsers keep (Chromium caps a cookie at 400
#: days), and within what ``timedelta`` and every database's duration column hold.
MAX_LIFETIME = timedelta(days=100 * 365)


#: A count for every plural form of the rules catalogues use (gettext's ``Plural-Forms``):
#: Slavic 1, 2 and 5; Arabic's 0, 3 and 11 to 99; Welsh's 6; Irish's 7 to 10; Maltese's and
#: Romanian's 21; 100 for the rest.
_PLURAL_SAMPLES = (0, 1, 2, 3, 5, 6, 7, 11, 21, 100)


def _unit_words() -> dict[str, int]:
    """Every word for a unit, in English and in the active language, lower case."""
    words: dict[str, int] = {}
    for seconds, counted, english in _UNITS:
        for word in english:
            words[word] = seconds
        for n in _PLURAL_SAMPLES:
            translated = counted % {"n": n}
            word = translated.replace(str(n), "", 1).strip().lower()
            if word:
                words.setdefault(word, seconds)
    return words


def _session_words() -> set[str]:
    return {*_SESSION_WORDS, gettext("Session").lower()}


def parse_lifetime(text: str) -> timedelta | None:
    """``None`` for a session cookie, else the duration ``text`` names.

    Accepts “session”, one or more “<number> <unit>” parts (“1 year 6 months”, “90 min”), and
    Django's own duration syntax (“14 00:00:00”, ISO 8601 “P14D”) for values pasted from
    elsewhere. Raises ``ValidationError`` for anything else, a bare number included: “14”
    could mean seconds or days.
    """
    value = " ".join(text.split()).lower()
    if value in ("", *_session_words()):
        return None
    words = _unit_words()
    seconds = 0
    rest = value
    matched = False
    for match in _PART.finditer(value):
        unit = words.get(match.group(2).rstrip("."))
        if unit is None:
            break
        # (Digits beyond a lifetime's are not even turned into a number; zeros in front of
        # the first that counts are not digits of it.)
        number = match.group(1).lstrip("0") or "0"
        seconds += int(number) * unit if len(number) <= 12 else _TOO_LONG
        rest = rest.replace(match.group(0), " ", 1)
        matched = True
    if matched and not _SEPARATORS.sub("", rest):
        if seconds <= 0:
            raise ValidationError(
                _("A lifetime must be longer than nothing; use “session” for a session cookie."),
                code="empty_lifetime",
            )
        return _bounded(timedelta(seconds=min(seconds, _TOO_LONG)))
    if not value.isdigit() and not re.fullmatch(r"\d+[.,]\d*", value):
        try:
            duration = parse_duration(value.upper() if value.startswith("p") else value)
        except (OverflowError, ValueError):  # beyond what a timedelta holds
            duration = timedelta.max
        if duration is not None and duration > timedelta(0):
            return _bounded(duration)
    raise ValidationError(INVALID, code="invalid_lifetime")


#: Seconds past ``MAX_LIFETIME``, standing in for any larger number.
_TOO_LONG = int(MAX_LIFETIME.total_seconds()) + 1


def _bounded(lifetime: timedelta) -> timedelta:
    if lifetime > MAX_LIFETIME:
        raise ValidationError(_("A lifetime can be at most 100 years."), code="lifetime_too_long")
    return lifetime


def format_lifetime(value: timedelta | None) -> str:
    """The lifetime in the largest unit that states it exactly (“13 months”, “90 minutes”),
    in the active language; “session” for ``None``. ``parse_lifetime`` reads it back."""
    if value is None:
        return gettext("Session").lower()
    total = int(value.total_seconds())
    for seconds, counted, _words in _UNITS:
        # Weeks are read, never shown: people write a cookie's “14 days”, not “2 weeks”.
        if seconds != 7 * DAY and total % seconds == 0 and total // seconds >= 1:
            n = total // seconds
            return str(counted % {"n": n})
    return str(value)  # under a second: Django's own notation, which parse_duration reads


class LifetimeFormField(forms.Field):
    """A form field for a lifetime in words; cleans to a ``timedelta`` or ``None``."""

    widget = forms.TextInput
    default_error_messages = {"invalid": INVALID}  # noqa: RUF012 (Django's own convention)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", HELP_TEXT)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("placeholder", "session")
        self.widget.attrs.setdefault("size", 12)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, timedelta) or value is None:
            return format_lifetime(value)
        return value

    def to_python(self, value: Any) -> timedelta | None:
        if isinstance(value, timedelta):
            return value
        return parse_lifetime(str(value or ""))


class LifetimeField(models.DurationField):  # type: ignore[type-arg]
    """A ``DurationField`` whose form field reads and shows lifetimes in words."""

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"form_class": LifetimeFormField, **kwargs})
