"""The admin: staff write the policy and declare cookies; consent records can only be read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cookieconsent.models import (
    ConsentRecord,
    Cookie,
    CookieCategory,
    CookiePolicy,
    PolicySection,
)

# The admin classes are generic only to the type checker (django-stubs); at run time they
# cannot be subscripted.
if TYPE_CHECKING:
    _PolicyAdmin = admin.ModelAdmin[CookiePolicy]
    _SectionInline = admin.StackedInline[PolicySection, CookiePolicy]
    _CategoryAdmin = admin.ModelAdmin[CookieCategory]
    _CookieInline = admin.TabularInline[Cookie, CookieCategory]
    _CookieAdmin = admin.ModelAdmin[Cookie]
    _RecordAdmin = admin.ModelAdmin[ConsentRecord]
    _CookieFormSet = BaseInlineFormSet[Cookie, CookieCategory, ModelForm[Cookie]]
else:
    _PolicyAdmin = _CategoryAdmin = _CookieAdmin = _RecordAdmin = admin.ModelAdmin
    _SectionInline = admin.StackedInline
    _CookieInline = admin.TabularInline
    _CookieFormSet = BaseInlineFormSet

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
    inlines = (PolicySectionInline,)
    actions = ("publish", "publish_and_ask_again")

    @admin.action(description=_("Publish a new version"))
    def publish(self, request: HttpRequest, queryset: QuerySet[CookiePolicy]) -> None:
        _publish(self, request, queryset, require_consent_again=False)

    @admin.action(description=_("Publish a new version — visitors must consent again"))
    def publish_and_ask_again(self, request: HttpRequest, queryset: QuerySet[CookiePolicy]) -> None:
        _publish(self, request, queryset, require_consent_again=True)


# -- categories and cookies -----------------------------------------------------------------


class CookieInlineFormSet(_CookieFormSet):
    def get_unique_error_message(self, unique_check: Any) -> str:
        """Two rows of one form with the same name get the model's own message, the one a
        clash with a saved cookie (in any category) gets, rather than Django's generic
        “Please correct the duplicate data”."""
        for constraint in Cookie._meta.constraints:
            if tuple(getattr(constraint, "fields", ())) == tuple(unique_check):
                return str(constraint.violation_error_message)
        return super().get_unique_error_message(unique_check)


class CookieInline(_CookieInline):
    model = Cookie
    formset = CookieInlineFormSet
    fields = (
        "name",
        "technology",
        "purpose",
        "party",
        "provider",
        "lifetime",
        "http_only",
        "domain",
        "path",
        "order",
    )
    extra = 0


@admin.register(CookieCategory)
class CookieCategoryAdmin(_CategoryAdmin):
    list_display = ("name", "slug", "required", "order")
    list_editable = ("order",)
    list_filter = ("required",)
    search_fields = ("name", "slug", "purpose", "cookies__name")
    prepopulated_fields = {"slug": ("name",)}  # noqa: RUF012 (Django reads it, never mutates)
    inlines = (CookieInline,)


@admin.register(Cookie)
class CookieAdmin(_CookieAdmin):
    list_display = ("name", "category", "technology", "party", "provider", "lifetime_display")
    list_filter = ("category", "technology", "party")
    search_fields = ("name", "purpose", "provider", "domain")
    list_select_related = ("category",)
    autocomplete_fields = ("category",)

    @admin.display(description=_("lifetime"), ordering="lifetime")
    def lifetime_display(self, obj: Cookie) -> str:
        return obj.lifetime_display


# -- the proof ----------------------------------------------------------------------------------


@admin.register(ConsentRecord)
class ConsentRecordAdmin(_RecordAdmin):
    """Viewable by staff, and nothing more: a record that could be edited proves nothing."""

    list_display = ("consent_id", "created_at", "action", "policy_version", "granted", "refused")
    list_filter = ("action", "policy_version")
    search_fields = ("consent_id",)
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    # A read-only log has no bulk actions (delete_selected would need the delete permission
    # refused below, and the queryset refuses deletion anyway).
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
