"""The policy's admin: its text, sections and publishing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cookieconsent.admin.regions import RegionRuleInline
from cookieconsent.models import CookiePolicy, PolicySection

# The admin classes are generic only to the type checker (django-stubs); at run time they
# cannot be subscripted.
if TYPE_CHECKING:
    _PolicyAdmin = admin.ModelAdmin[CookiePolicy]
    _SectionInline = admin.StackedInline[PolicySection, CookiePolicy]
else:
    _PolicyAdmin = admin.ModelAdmin
    _SectionInline = admin.StackedInline

# -- the policy ---------------------------------------------------------------------------------


class PolicySectionInline(_SectionInline):
    model = PolicySection
    fields = ("order", "heading", "body", "show_cookie_table")
    ordering = ("order", "pk")
    extra = 0


def _publish(
    modeladmin: CookiePolicyAdmin,
    request: HttpRequest,
    queryset: QuerySet[CookiePolicy],
    *,
    require_consent_again: bool,
) -> None:
    policies = list(queryset)
    for policy in policies:
        policy.publish_new_version(require_consent_again=require_consent_again)
    versions = ", ".join(f"{p.title} v{p.version}" for p in policies)
    if require_consent_again:
        message = gettext("Published %(versions)s. Visitors will be asked to consent again.")
    else:
        message = gettext("Published %(versions)s.")
    modeladmin.message_user(request, message % {"versions": versions}, messages.SUCCESS)


@admin.register(CookiePolicy)
class CookiePolicyAdmin(_PolicyAdmin):
    list_display = ("title", "version", "reconsent_version", "is_current", "last_updated")
    list_filter = ("is_current",)
    search_fields = ("title", "introduction")
    readonly_fields = ("version", "reconsent_version", "modified_at")
    fieldsets = (
        (None, {"fields": ("title", "introduction", "is_current", "last_updated")}),
        (_("Contact"), {"fields": ("contact_organisation", "contact_address", "contact_email")}),
        (_("Version"), {"fields": ("version", "reconsent_version", "modified_at")}),
    )
    inlines = (PolicySectionInline, RegionRuleInline)
    actions = ("publish", "publish_and_ask_again")

    @admin.action(description=_("Publish a new version"))
    def publish(self, request: HttpRequest, queryset: QuerySet[CookiePolicy]) -> None:
        _publish(self, request, queryset, require_consent_again=False)

    @admin.action(description=_("Publish a new version — visitors must consent again"))
    def publish_and_ask_again(self, request: HttpRequest, queryset: QuerySet[CookiePolicy]) -> None:
        _publish(self, request, queryset, require_consent_again=True)
