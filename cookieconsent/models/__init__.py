"""The cookie policy, its categories and cookies, its published versions, and the append-only
record of consent.

One module per concern; everything is importable from ``cookieconsent.models``.
"""

from cookieconsent.models.chain import ChainCheckpoint, ChainHead
from cookieconsent.models.console import (
    BannersShown,
    CountedDay,
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
    validate_declared_name,
)
from cookieconsent.models.policy import CookiePolicy, PolicySection
from cookieconsent.models.publishing import PublishedVersion, Snapshot
from cookieconsent.models.records import (
    Action,
    AppendOnlyQuerySet,
    ConsentRecord,
    PurgePermit,
)
from cookieconsent.models.regions import Regime, RegionRule
from cookieconsent.models.registry import RegistryStamp

__all__ = [
    "Action",
    "AppendOnlyQuerySet",
    "BannersShown",
    "ChainCheckpoint",
    "ChainHead",
    "ConsentRecord",
    "Cookie",
    "CookieCategory",
    "CookiePolicy",
    "CountedDay",
    "DailyCategoryChoices",
    "DailyDecisions",
    "Party",
    "PolicySection",
    "PublishedVersion",
    "PurgePermit",
    "Regime",
    "RegionRule",
    "RegistryStamp",
    "Sighting",
    "Snapshot",
    "Technology",
    "UndeclaredCookie",
    "humanize_duration",
    "validate_cookie_name",
    "validate_declared_name",
]
