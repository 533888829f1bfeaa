"""How browsers read a ``Set-Cookie`` line: whether it deletes its cookie, and for how long it
keeps one it does not delete.

Browsers do not read a line alike. RFC 6265 ignores a ``Max-Age`` that is not an integer and
counts the last valid one; Chromium and Firefox count the last ``Max-Age`` whatever it says,
and Chromium reads ``+3600`` as an hour and an overflowing number with junk after it as the
longest lifetime; older Firefox versions read a leading number and ignored what follows it,
and made a line whose ``Max-Age`` they could not read a session cookie; RFC 6265bis (Chromium,
Firefox) ignores an attribute whose value is over 1,024 bytes. So a line counts as a deletion
only when every one of these readings deletes the cookie; whatever is ambiguous counts as a
cookie that sets, the safe side for a cookie the visitor refused.
"""

from __future__ import annotations

import re
import time
from http.cookies import Morsel

from django.utils.http import parse_http_date

__all__ = ["deletes", "is_deletion", "lifetime"]

#: What a browser trims around an attribute's name and its value (RFC 6265's WSP); Python's
#: strip() trims more (0xA0, 0x85, ...), which a browser keeps.
_WSP = " \t"
_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
#: RFC 6265bis: a browser ignores an attribute whose value is longer (Chromium, Firefox).
#: Counted with the spaces around it, as the line is written (the safe side); a header's
#: characters are its bytes, as Django sends it in Latin-1.
_LONGEST_VALUE = 1024
_INTEGER = re.compile(r"-?[0-9]+")
_SIGNED = re.compile(r"[+-]?[0-9]+")
#: A Max-Age of more digits than this (leading zeros aside) may overflow a browser's 64-bit
#: reading, which then saturates or wraps it.
_MOST_DIGITS = 18
_LONGEST_LIFETIME = 2**63 - 1
#: An Expires date counts as past only this far back: a browser's clock may be behind ours.
_PAST_MARGIN = 24 * 60 * 60
#: 1 January 1601: a browser reads no cookie date before it (RFC 6265, 5.1.1), so ignores it.
_FIRST_COOKIE_DATE = -11644473600
#: A date's first word. Django reads any three letters or digits there; Chromium reads a
#: month's name there as the month ("Dec, 01 Jan ..." is in December) and a number as the year.
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAYS = frozenset(_DAYS + tuple(day[:3] for day in _DAYS))


def is_deletion(cookie: Morsel[str] | str, date: str | None = None) -> bool:
    """Whether a ``Set-Cookie`` (a ``set_cookie()``'s morsel, or a raw header's value) removes
    the cookie in every browser, whatever its value: the line the server writes, read by
    ``deletes()``, with the response's ``Date`` header, if it has one."""
    if isinstance(cookie, str):
        return deletes(cookie, date)
    max_age = cookie["max-age"]
    if max_age == "" and cookie["expires"] == "":
        return False  # the common case: neither is set
    if type(max_age) is int and max_age > 0:
        # The other common case, set_cookie(max_age=...): not a deletion, unless a Max-Age
        # written into its path or domain says otherwise to a browser. Then it is judged as a
        # cookie that sets: dropped if not allowed, never let through.
        return False
    return deletes(cookie.OutputString(), date)


def deletes(line: str, date: str | None = None) -> bool:
    """Whether a ``Set-Cookie`` line (``name=value; attributes``) removes the cookie in every
    browser. Attribute names are read in any case, names and values trimmed of spaces and
    tabs only, and every ``Max-Age`` and ``Expires`` counts, wherever it is written (after the
    real ones, in the value or the path, too). It deletes when no ``Max-Age`` or ``Expires``
    is over 1,024 bytes, and

    - it has a ``Max-Age``, and every ``Max-Age`` is an integer of zero or less (of at most 18
      digits), or
    - it has no ``Max-Age``, and every ``Expires`` is a date more than a day in the past, by
      our clock and by ``date``, the response's ``Date`` header: Chromium counts an
      ``Expires`` from it (the cookie lasts ``Expires`` minus ``Date`` from now), so a
      ``Date`` in the past could make a past ``Expires`` a lifetime. A ``Date`` that does not
      parse makes no ``Expires`` a deletion.

    Anything else (a ``+``, junk after a number, an empty value, an ``Expires`` that is no
    date) is a cookie that sets to some browser."""
    max_ages, expires = _expiry_attributes(line)
    if any(len(value) > _LONGEST_VALUE for value in max_ages + expires):
        return False
    if max_ages:
        return all(_zero_or_less(value.strip(_WSP)) for value in max_ages)
    now = _server_now(date)
    if now is None:
        return False
    past = now - _PAST_MARGIN
    return bool(expires) and all(
        (when := _cookie_date(value.strip(_WSP))) is not None and when < past for value in expires
    )


def lifetime(line: str) -> int:
    """How long a ``Set-Cookie`` line that ``deletes()`` does not count as a deletion keeps its
    cookie, in seconds, as Chromium reads it: its last ``Max-Age`` where that is a number
    (saturated at 2**63 - 1, never read with ``int()``, which refuses more than 4,300 digits),
    else its last ``Expires`` counted from now, else 0 (a session cookie). 0 too where that
    reading removes the cookie: another browser keeps it, for the session at least."""
    max_ages, expires = _expiry_attributes(line)
    max_ages = [value.strip(_WSP) for value in max_ages if len(value) <= _LONGEST_VALUE]
    expires = [value.strip(_WSP) for value in expires if len(value) <= _LONGEST_VALUE]
    if max_ages and _SIGNED.fullmatch(max_ages[-1]):
        return max(_seconds(max_ages[-1]), 0)
    date = _cookie_date(expires[-1]) if expires else None
    return 0 if date is None else max(round(date - time.time()), 0)


def _expiry_attributes(line: str) -> tuple[list[str], list[str]]:
    """The values of a line's ``Max-Age`` and ``Expires`` attributes, in order, as written:
    the attribute's name trimmed of spaces and tabs and read in any case."""
    max_ages: list[str] = []
    expires: list[str] = []
    for attribute in line.split(";")[1:]:
        key, _, value = attribute.partition("=")
        key = key.strip(_WSP).lower()
        if key == "max-age":
            max_ages.append(value)
        elif key == "expires":
            expires.append(value)
    return max_ages, expires


def _server_now(date: str | None) -> float | None:
    """The earlier of our clock and a response's ``Date`` header; ``None`` for a ``Date`` that
    does not parse (a browser may read it otherwise)."""
    if date is None:
        return time.time()
    try:
        return min(time.time(), parse_http_date(date))
    except ValueError:
        return None


def _zero_or_less(value: str) -> bool:
    """Whether every browser reads a ``Max-Age`` as zero or less (read without ``int()``)."""
    if not _INTEGER.fullmatch(value):
        return False
    digits = value.lstrip("-").lstrip("0")
    return (value.startswith("-") or not digits) and len(digits) <= _MOST_DIGITS


def _seconds(value: str) -> int:
    """A signed number of digits, saturated at 2**63 - 1 either way as Chromium saturates it."""
    digits = value.lstrip("+-").lstrip("0") or "0"
    seconds = int(digits) if len(digits) <= _MOST_DIGITS else _LONGEST_LIFETIME
    return -seconds if value.startswith("-") else seconds


def _cookie_date(value: str) -> float | None:
    """An ``Expires`` date as a timestamp, or ``None`` where a browser may read none, or
    another (a date ``parse_http_date()`` refuses, or whose first word is no weekday)."""
    if value == _EPOCH:
        return 0.0
    if value.split(",")[0].split(" ")[0].lower() not in _WEEKDAYS:
        return None
    try:
        date = parse_http_date(value)
    except ValueError:
        return None
    return date if date >= _FIRST_COOKIE_DATE else None
