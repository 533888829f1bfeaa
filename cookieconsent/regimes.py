"""Consent regimes and the regions they apply to: the regime names, ISO 3166 region codes and
their validation, and rules compiled into ``Regimes``. Pure: no request, no table."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
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


def normalise(value: object) -> str | None:
    """``value`` as an upper-case region code, or ``None`` when it is not a well-formed code of
    a real place (so nothing a client sends is ever reflected as it came)."""
    if not isinstance(value, str) or len(value) > 8:
        return None
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
