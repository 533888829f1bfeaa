"""Consent records: readable by staff, and nothing more."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from cookieconsent.admin.console import ExportMixin
from cookieconsent.models import ConsentRecord

# The admin classes are generic only to the type checker (django-stubs); at run time they
# cannot be subscripted.
if TYPE_CHECKING:
    _RecordAdmin = admin.ModelAdmin[ConsentRecord]
else:
    _RecordAdmin = admin.ModelAdmin

# -- the proof ----------------------------------------------------------------------------------


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ExportMixin, _RecordAdmin):
    """Viewable by staff, and nothing more: a record that could be edited proves nothing."""

    list_display = (
        "consent_id",
        "created_at",
        "action",
        "policy_version",
        "granted",
        "refused",
        "region",
        "regime",
    )
    list_filter = ("action", "policy_version", "regime")
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
