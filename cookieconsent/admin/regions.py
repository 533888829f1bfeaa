"""Regional regimes, edited inline as part of the policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cookieconsent.engine.regions import reads_subdivisions
from cookieconsent.models import CookiePolicy, RegionRule
from cookieconsent.regimes import is_subdivision, region_name, rule_region

if TYPE_CHECKING:
    _RuleInline = admin.TabularInline[RegionRule, CookiePolicy]
    _RuleForm = forms.ModelForm[RegionRule]
else:
    _RuleInline = admin.TabularInline
    _RuleForm = forms.ModelForm


class _RegionRuleForm(_RuleForm):
    def clean_region(self) -> str:
        """The code as it is stored (``RegionRule.clean()``), so that the form set compares
        “de” with another row's “DE”."""
        return rule_region(self.cleaned_data["region"])


class RegionRuleInline(_RuleInline):
    """Which regime each region gets. Regions without a rule, and visitors whose region is
    unknown, get opt-in. Choosing regimes is the site's legal decision."""

    model = RegionRule
    form = _RegionRuleForm
    fields = ("region", "place", "regime")
    readonly_fields = ("place",)
    extra = 0
    # Set once, when the site's legal advice is taken: folded away the rest of the time.
    classes = ("collapse",)
    verbose_name = _("regional regime")
    verbose_name_plural = _(
        "regional regimes (regions without one, and unknown regions, are opt-in)"
    )

    @admin.display(description=_("place"))
    def place(self, obj: RegionRule) -> str:
        """The region's name in ISO 3166 ("California, United States")."""
        return region_name(obj.region) if obj.region else ""


def unmatchable_subdivisions(policy: CookiePolicy | None) -> list[str]:
    """The subdivision rules of ``policy`` no visitor can match: the site reads no subdivision
    (no ``REGION_SUBDIVISION_HEADER`` and no ``REGION_RESOLVER``)."""
    if policy is None or policy.pk is None or reads_subdivisions():
        return []
    regions = policy.region_rules.values_list("region", flat=True)
    return sorted(r for r in regions if is_subdivision(r))


def warn_unmatchable(request: HttpRequest, policy: CookiePolicy | None) -> None:
    """Say on the policy's page when a subdivision rule can never apply (``W021``)."""
    unmatched = unmatchable_subdivisions(policy)
    if unmatched:
        messages.warning(
            request,
            gettext(
                "No visitor can match the rules for %(regions)s: the site reads no "
                "subdivision (REGION_SUBDIVISION_HEADER is not set), so these visitors get "
                "their country's regime, or opt-in."
            )
            % {"regions": ", ".join(unmatched)},
        )
