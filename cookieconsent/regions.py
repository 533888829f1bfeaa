"""Where the visitor is, and which consent regime applies there.

The region comes from the server, with no call to anyone: a resolver the site names
(``REGION_RESOLVER``), then the headers its CDN or proxy sets (``REGION_HEADER``, optionally
``REGION_SUBDIVISION_HEADER``). Nothing is read unless configured, the headers only while the
site says its proxy sets them (``TRUST_REGION_HEADER``: a visitor can send any header), and a
value that is not a well-formed ISO 3166 code counts as unknown.

The regimes the staff edit (``RegionRule``) are compiled with the registry by
``build_regimes()``, so that the request path reads no table.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from cookieconsent.conf import get_config, on_reset

logger = logging.getLogger("cookieconsent")

OPT_IN = "opt-in"
OPT_OUT = "opt-out"
NOTICE = "notice"
REGIMES = (OPT_IN, OPT_OUT, NOTICE)
#: The regime of a region no rule names, and of a visitor whose region is unknown.
DEFAULT_REGIME = OPT_IN

#: ``DE``, or a subdivision ``US-CA`` (ISO 3166-2: one to three letters or digits).
_CODE = re.compile(r"[A-Z]{2}(?:-[A-Z0-9]{1,3})?")
_SUBDIVISION = re.compile(r"[A-Z0-9]{1,3}")
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


#: Header values already checked: there are a few hundred real ones, and each request has one.
_NORMALISED: dict[str, str | None] = {}
_NORMALISED_LIMIT = 1024


def normalise(value: object) -> str | None:
    """``value`` as an upper-case region code, or ``None`` when it is not a well-formed code of
    a real place (so nothing a client sends is ever reflected as it came)."""
    if not isinstance(value, str) or len(value) > 8:
        return None
    try:
        return _NORMALISED[value]
    except KeyError:
        pass
    code = _check(value)
    if len(_NORMALISED) >= _NORMALISED_LIMIT:
        _NORMALISED.clear()  # made-up values cannot pin it full
    _NORMALISED[value] = code
    return code


def _check(value: str) -> str | None:
    code = value.strip().upper()
    if not _CODE.fullmatch(code) or code[:2] in _NOT_A_COUNTRY:
        return None
    return code


def validate_rule_region(value: str) -> None:
    """A region a rule may name: a country (``DE``), a subdivision (``US-CA``) or a group
    (``EU``, ``EEA``)."""
    if value.upper() not in GROUPS and normalise(value) != value.upper():
        raise ValidationError(
            _(
                "“%(value)s” is not a region code: use an ISO 3166-1 country code such as "
                "“DE”, a subdivision such as “US-CA”, or one of %(groups)s."
            ),
            code="invalid_region",
            params={"value": value, "groups": ", ".join(GROUPS)},
        )


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

    def in_use(self) -> frozenset[str]:
        """Every regime some region gets, the default included."""
        return frozenset({DEFAULT_REGIME, *self.rules.values()})


def compile_rules(rules: Mapping[str, str], always_opt_in: frozenset[str]) -> Regimes:
    """``Regimes`` from rules as staff wrote them (``{"EU": "opt-in", "US": "opt-out"}``)."""
    table: dict[str, str] = {}
    # Groups first, so that a rule for one of their countries overrides them.
    for region, regime in sorted(rules.items(), key=lambda item: item[0] not in GROUPS):
        for code in GROUPS.get(region, (region,)):
            table[code] = regime
    uniform = all(regime == DEFAULT_REGIME for regime in table.values())
    return Regimes(table, always_opt_in, uniform)


def build_regimes() -> Regimes:
    """The current policy's rules and the categories that stay opt-in, read for the registry."""
    from cookieconsent.models import CookieCategory, RegionRule

    rules = dict(RegionRule.objects.filter(policy__is_current=True).values_list("region", "regime"))
    exempt = CookieCategory.objects.filter(opt_in_everywhere=True, required=False)
    return compile_rules(rules, frozenset(exempt.values_list("slug", flat=True)))


# -- the visitor's region ---------------------------------------------------------------------


def region_of(request: HttpRequest) -> str | None:
    """The visitor's region: the resolver's answer, else the configured headers', else
    ``None`` (unknown)."""
    resolver, country_key, sub_key = _reader()
    if resolver:
        try:
            found = _resolver(resolver)(request)
        except Exception:  # a GeoIP miss or a broken database must not cost the page
            logger.warning("cookieconsent's REGION_RESOLVER failed", exc_info=True)
            found = None
        region = normalise(found)
        if region is not None:
            return region
    return _from_headers(request.META, country_key, sub_key) if country_key else None


def _from_headers(meta: Mapping[str, Any], country_key: str, sub_key: str) -> str | None:
    """The region in the country header (and the subdivision header, which may hold ``CA``
    or ``US-CA``)."""
    country = normalise(meta.get(country_key))
    if country is None or len(country) > 2:
        return None
    if sub_key:
        value = meta.get(sub_key)
        if isinstance(value, str):
            part = value.strip().upper().removeprefix(country + "-")
            if _SUBDIVISION.fullmatch(part):
                return f"{country}-{part}"
    return country


@cache
def _reader() -> tuple[str, str, str]:
    """The resolver's path and the ``request.META`` keys of the region headers ("" where
    unset or untrusted), worked out once: every undecided visitor's request asks."""
    config = get_config()
    country, sub = _trusted_headers()
    return (
        config["REGION_RESOLVER"] or "",
        _meta_key(country) if country else "",
        _meta_key(sub) if sub else "",
    )


on_reset(_reader.cache_clear)


def header_keys() -> tuple[str, ...] | None:
    """The ``request.META`` keys the region is read from (none when no header is configured),
    or ``None`` when a ``REGION_RESOLVER`` decides it, from whatever it reads."""
    resolver, country_key, sub_key = _reader()
    if resolver:
        return None
    return tuple(key for key in (country_key, sub_key) if key)


@cache
def vary_headers() -> tuple[str, ...]:
    """The request headers a response that depends on the region varies on: those read."""
    return tuple(h for h in _trusted_headers() if h)


on_reset(vary_headers.cache_clear)


def _trusted_headers() -> tuple[str | None, str | None]:
    """``REGION_HEADER`` and ``REGION_SUBDIVISION_HEADER``, or neither unless
    ``TRUST_REGION_HEADER`` is ``True``: only the site knows that a proxy overwrites them."""
    config = get_config()
    if config["TRUST_REGION_HEADER"] is not True:
        return None, None
    return config["REGION_HEADER"], config["REGION_SUBDIVISION_HEADER"]


@cache
def _meta_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


@cache
def _resolver(path: str) -> Callable[[HttpRequest], str | None]:
    resolver: Callable[[HttpRequest], str | None] = import_string(path)
    return resolver


@on_reset
def _forget() -> None:
    _resolver.cache_clear()
