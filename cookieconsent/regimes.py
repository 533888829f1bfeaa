"""Consent regimes and the regions they apply to: the regime names, ISO 3166 region codes and
their validation, and rules compiled into ``Regimes``. Pure: no request, no table."""

from __future__ import annotations

import gettext as _gettext
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

OPT_IN = "opt-in"
OPT_OUT = "opt-out"
NOTICE = "notice"
REGIMES = (OPT_IN, OPT_OUT, NOTICE)
#: The regime of a region no rule names, and of a visitor whose region is unknown.
DEFAULT_REGIME = OPT_IN

#: ``DE``, or a subdivision ``US-CA`` (ISO 3166-2: one to three letters or digits).
_CODE = re.compile(r"[A-Z]{2}(?:-[A-Z0-9]{1,3})?")
SUBDIVISION_CODE = re.compile(r"[A-Z0-9]{1,3}")
#: Codes that name no country: ISO 3166's user-assigned ranges (AA, QM to QZ, XA to XZ, ZZ), which
#: CDNs use for "unknown" (Cloudflare's ``XX``) or "anonymous proxy" (``A1``, ``A2``, ``O1``
#: and Cloudflare's Tor ``T1`` fail the pattern already). Kosovo's ``XK`` is kept: CDNs send it.
_NOT_A_COUNTRY = frozenset(
    {"AA", "ZZ", "EU", "AP"}
    | {f"Q{c}" for c in "MNOPQRSTUVWXYZ"}
    | {f"X{c}" for c in "ABCDEFGHIJLMNOPQRSTUVWXYZ"}
)

EU = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
)  # fmt: skip
#: Names a rule may use for several countries at once.
GROUPS: Mapping[str, tuple[str, ...]] = {"EU": EU, "EEA": (*EU, "IS", "LI", "NO")}


_CAPITALS = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


def ascii_upper(value: str) -> str:
    """``value`` without spaces around it, its ASCII letters in capitals and nothing else
    changed: Unicode's capitals would make codes of other letters (``ß`` → ``SS``, South
    Sudan), which must stay what they are, not codes."""
    return value.strip().translate(_CAPITALS)


def normalise(value: object) -> str | None:
    """``value`` as an upper-case region code, or ``None`` when it is not shaped like one or
    names no country (``_NOT_A_COUNTRY``), so nothing a client sends is ever reflected as it
    came. Not looked up in ISO 3166: a well-formed code no country has (``JJ``) is kept."""
    if not isinstance(value, str) or len(value) > 8:
        return None
    code = ascii_upper(value)
    if not _CODE.fullmatch(code) or code[:2] in _NOT_A_COUNTRY:
        return None
    return code


def rule_region(value: str) -> str:
    """A rule's region as it is stored and compared: without spaces around it, in capitals."""
    return ascii_upper(value)


def validate_rule_region(value: str) -> None:
    """A region a rule may name: a country (``DE``), a subdivision (``US-CA``) or a group
    (``EU``, ``EEA``), each one ISO 3166 lists."""
    code = rule_region(value)
    if code in GROUPS:
        return
    if normalise(code) != code:
        raise ValidationError(
            _(
                "“%(value)s” is not a region code: use an ISO 3166-1 country code such as "
                "“DE”, a subdivision such as “US-CA”, or one of %(groups)s."
            ),
            code="invalid_region",
            params={"value": value, "groups": ", ".join(GROUPS)},
        )
    if _country(code[:2]) is None:
        raise ValidationError(
            _("“%(value)s” is not a country in ISO 3166-1."),
            code="unknown_country",
            params={"value": code[:2]},
        )
    if len(code) > 2 and _subdivision(code) is None:
        raise ValidationError(
            _("“%(value)s” is not a subdivision of %(country)s in ISO 3166-2."),
            code="unknown_subdivision",
            params={"value": code, "country": region_name(code[:2])},
        )


def is_subdivision(code: str) -> bool:
    """Whether ``code`` names a subdivision (``US-CA``), not a country or a group."""
    return "-" in code


# -- region names (ISO 3166, from pycountry; read only by the admin, never on a request) -----

#: Kosovo: CDNs send it, ISO 3166 has not assigned it (pycountry does not list it).
_UNASSIGNED = {"XK": "Kosovo"}


@cache
def _country(alpha_2: str) -> str | None:
    """The English name of a country, or ``None`` when ISO 3166-1 has no such code."""
    import pycountry

    if alpha_2 in _UNASSIGNED:
        return _UNASSIGNED[alpha_2]
    found = pycountry.countries.get(alpha_2=alpha_2)
    if found is None:
        return None
    name: str = getattr(found, "common_name", found.name)
    return name


@cache
def _subdivision(code: str) -> str | None:
    import pycountry

    found = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
    return None if found is None else str(found.name)


@cache
def _translations(language: str) -> _gettext.NullTranslations:
    import pycountry

    return _gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language.replace("-", "_")], fallback=True
    )


def region_name(code: str) -> str:
    """A region's name in the active language where ISO 3166's translations have it:
    "South Africa", "California, United States", "European Union"; ``""`` for a code
    ISO 3166 does not list."""
    code = ascii_upper(code)
    if code in GROUPS:
        return str(_("European Union") if code == "EU" else _("European Economic Area"))
    country = _country(code[:2])
    if country is None:
        return ""
    country = _translations(get_language() or "en").gettext(country)
    if len(code) == 2:
        return country
    subdivision = _subdivision(code)
    return f"{subdivision}, {country}" if subdivision else ""


def region_label(code: str) -> str:
    """``"ZA — South Africa"``, ``"US-CA — California, United States"``; the code alone when
    ISO 3166 does not list it."""
    name = region_name(code)
    return f"{code} — {name}" if name else code


# -- the compiled regimes ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Regimes:
    """Region → regime, groups expanded; a subdivision's rule beats its country's, a country's
    beats its group's."""

    rules: Mapping[str, str] = field(default_factory=dict)
    #: Optional categories that stay opt-in in every regime (e.g. advertising).
    always_opt_in: frozenset[str] = frozenset()
    #: No rule differs from the default: the region cannot change anything.
    uniform: bool = True

    def regime_for(self, region: str | None) -> str:
        if region is None or self.uniform:
            return DEFAULT_REGIME
        regime = self.rules.get(region)
        if regime is None and len(region) > 2:
            regime = self.rules.get(region[:2])
        return regime or DEFAULT_REGIME


def compile_rules(rules: Mapping[str, str], always_opt_in: frozenset[str]) -> Regimes:
    """``Regimes`` from rules as staff wrote them (``{"EU": "opt-in", "US": "opt-out"}``)."""
    table: dict[str, str] = {}
    # Groups first, so that a rule for one of their countries overrides them.
    for region, regime in sorted(rules.items(), key=lambda item: item[0] not in GROUPS):
        for code in GROUPS.get(region, (region,)):
            table[code] = regime
    uniform = all(regime == DEFAULT_REGIME for regime in table.values())
    return Regimes(table, always_opt_in, uniform)
