"""Regional regimes, edited inline as part of the policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cookieconsent.models import CookiePolicy, RegionRule

if TYPE_CHECKING:
    _RuleInline = admin.TabularInline[RegionRule, CookiePolicy]
else:
    _RuleInline = admin.TabularInline


class RegionRuleInline(_RuleInline):
    """Which regime each region gets. Regions without a rule, and visitors whose region is
    unknown, get opt-in. Choosing regimes is the site's legal decision."""

    model = RegionRule
    fields = ("region", "regime")
    extra = 0
    verbose_name = _("regional regime")
    verbose_name_plural = _(
        "regional regimes (regions without one, and unknown regions, are opt-in)"
    )
