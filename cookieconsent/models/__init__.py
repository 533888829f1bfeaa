"""The cookie policy, its categories and cookies, and the append-only record of consent.

One module per concern; everything is importable from ``cookieconsent.models``.
"""

from cookieconsent.models.console import (
    DailyCategoryChoices,
    DailyDecisions,
    Sighting,
    UndeclaredCookie,
)
from cookieconsent.models.cookies import (
    Cookie,
    CookieCategory,
    Party,
    Technology,
    humanize_duration,
    validate_cookie_name,
)
from cookieconsent.models.policy import CookiePolicy, PolicySection
from cookieconsent.models.records import Action, AppendOnlyQuerySet, ConsentRecord
from cookieconsent.models.regions import Regime, RegionRule
from cookieconsent.models.registry import RegistryStamp

__all__ = [
    "Action",
    "AppendOnlyQuerySet",
    "ConsentRecord",
    "Cookie",
    "CookieCategory",
    "CookiePolicy",
    "DailyCategoryChoices",
    "DailyDecisions",
    "Party",
    "PolicySection",
    "Regime",
    "RegionRule",
    "RegistryStamp",
    "Sighting",
    "Technology",
    "UndeclaredCookie",
    "humanize_duration",
    "validate_cookie_name",
]
