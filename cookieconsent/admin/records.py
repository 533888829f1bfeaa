"""Consent records: readable by staff, and nothing more."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Min, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cookieconsent.admin import display
from cookieconsent.admin.console import ExportMixin
from cookieconsent.admin.drafts import PublishReminderMixin
from cookieconsent.admin.queries import RefuseNulMixin
from cookieconsent.admin.readonly import ReadOnlyMixin
from cookieconsent.models import ConsentRecord
from cookieconsent.proof import unreadable
from cookieconsent.proof.receipt import NotAsWritten, receipt
from cookieconsent.streaming import UNREADABLE

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    _RecordAdmin = admin.ModelAdmin[ConsentRecord]
else:
    _RecordAdmin = admin.ModelAdmin


#: Said on the page of a record the ORM cannot read back, shown as the database holds it.
NOT_READABLE = _(
    "This record holds values that cannot be read back as written: it was changed in the "
    "database, and is shown as the database holds it. Run cookieconsent_verify."
)
#: Said instead of its receipt.
NO_RECEIPT = _(
    "This record holds values that cannot be read back as written: it was changed in the "
    "database, so no receipt can say what the visitor chose. Run cookieconsent_verify."
)
#: Beside its time in the list.
CHANGED = _("changed in the database: run cookieconsent_verify")


class _RecordList(ChangeList):
    """The list, where a record the ORM cannot read back is shown as the database holds it
    (``proof.unreadable``), not a server error."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = unreadable.readable(self.result_list, self.queryset)
        if self.date_hierarchy and not _dates_readable(self.queryset, self.date_hierarchy):
            # Its links are read from every record's time: one that cannot be read fails them.
            self.date_hierarchy = None


def _dates_readable(records: QuerySet[ConsentRecord], field: str) -> bool:
    """Whether the first and last of ``records``' times can be read back (one query, by the
    index): a time no datetime holds is the first or the last."""
    try:
        records.aggregate(first=Min(field), last=Max(field))
    except UNREADABLE:
        return False
    return True


#: Said instead of a receipt for a record whose categories are not lists of slugs.
NOT_AS_WRITTEN = _(
    "This record's categories are not as it was written: it was changed in the database, "
    "so no receipt can say what the visitor chose. Run cookieconsent_verify."
)


@admin.register(ConsentRecord)
class ConsentRecordAdmin(
    RefuseNulMixin, PublishReminderMixin, ReadOnlyMixin, ExportMixin, _RecordAdmin
):
    """Viewable by staff, and nothing more: a record that could be edited proves nothing."""

    # Each column fits its value on one short line, so the list fits a laptop's screen
    # beside its filters: the ID clipped (selecting it copies it whole), the moment compact,
    # categories by name.
    list_display = (
        "short_consent_id",
        "given_at",
        "action",
        "version",
        "granted_names",
        "refused_names",
        "region",
        "regime_name",
    )
    # The link is on the date, so that the ID can be selected and copied.
    list_display_links = ("given_at",)
    # Filters that list their choices from small tables or fixed choices: a DISTINCT over a
    # million records would be slow.
    list_filter = ("action", "published_version", "regime")
    # Searched by exact value (see get_search_results), so that a million rows cost one
    # index lookup; the box says so.
    search_fields = ("consent_id",)
    # A filtered list would otherwise also count the whole log (a million rows, every time).
    show_full_result_count = False
    search_help_text = _("A consent ID, or a user's ID, exactly.")
    date_hierarchy = "created_at"
    readonly_fields = ("what_they_saw", "consent_receipt")
    # A read-only log has no bulk actions (delete_selected would need the delete permission
    # refused below, and the database refuses deletion anyway).
    actions = None

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[ConsentRecord], search_term: str
    ) -> tuple[QuerySet[ConsentRecord], bool]:
        """A consent ID (a UUID) or a user's ID, each looked up exactly through its index (a
        UUID may be either: a user model's primary key can be one). Never ``icontains`` over
        the whole table."""
        term = search_term.strip()
        if not term:
            return queryset, False
        by_user = Q(user_pk=term)  # (longer than any user's ID: it finds none)
        try:
            consent_id = uuid.UUID(term)
        except ValueError:
            return queryset.filter(by_user), False
        return queryset.filter(Q(consent_id=consent_id) | by_user), False

    class Media:
        css = display.LIST_CSS

    @admin.display(description=_("consent id"), ordering="consent_id")
    def short_consent_id(self, obj: ConsentRecord) -> SafeString:
        return display.short_id(obj.consent_id)

    @admin.display(description=_("given at"), ordering="created_at")
    def given_at(self, obj: ConsentRecord) -> SafeString | str:
        fields = unreadable.unreadable_fields(obj)
        if not fields:
            return display.moment(obj.created_at)
        given = obj.created_at if "created_at" in fields else display.moment(obj.created_at)
        return format_html("{} <strong>({})</strong>", given or display.EMPTY, CHANGED)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return _RecordList

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> ConsentRecord | None:
        """The record; one the ORM cannot read back as the database holds it, said so."""
        try:
            found = super().get_object(request, object_id, from_field)
        except UNREADABLE:
            found = None
        if found is not None or from_field is not None:
            return found
        stored = unreadable.as_stored(self.get_queryset(request), object_id)
        if stored is not None:
            messages.warning(request, NOT_READABLE)
        return stored

    @admin.display(description=_("version"), ordering="policy_version")
    def version(self, obj: ConsentRecord) -> int:
        return obj.policy_version

    @admin.display(description=_("regime"), ordering="regime")
    def regime_name(self, obj: ConsentRecord) -> str:
        """ "opt-in", "opt-out" or "notice": the filter beside the list explains each."""
        return obj.regime

    @admin.display(description=_("granted"))
    def granted_names(self, obj: ConsentRecord) -> str:
        return display.category_names(obj.granted)

    @admin.display(description=_("refused"))
    def refused_names(self, obj: ConsentRecord) -> str:
        return display.category_names(obj.refused)

    @admin.display(description=_("what they saw"))
    def what_they_saw(self, obj: ConsentRecord) -> SafeString | str:
        if obj.published_version_id is None:
            return gettext("Nothing was published when this decision was made.")
        link = reverse(
            "admin:cookieconsent_publishedversion_change",
            args=[obj.published_version_id],
            current_app=self.admin_site.name,
        )
        return format_html(
            '<a href="{}?{}">{}</a>',
            link,
            urlencode({"language": obj.language, "regime": obj.regime}),
            gettext("Version %(number)d in “%(language)s”, as this visitor saw it")
            % {"number": obj.policy_version, "language": obj.language},
        )

    @admin.display(description=_("consent receipt"))
    def consent_receipt(self, obj: ConsentRecord) -> SafeString:
        link = reverse(
            "admin:cookieconsent_consentrecord_receipt",
            args=[obj.pk],
            current_app=self.admin_site.name,
        )
        return format_html(
            '<a href="{}" download>{}</a>', link, gettext("Download (ISO/IEC TS 27560, JSON)")
        )

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:pk>/receipt/",
                self.admin_site.admin_view(self.receipt_view),
                name="cookieconsent_consentrecord_receipt",
            )
        ]
        return own + super().get_urls()

    def receipt_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The record as a consent receipt (JSON), for whoever may view it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        records = self.get_queryset(request)
        try:
            found = records.select_related("published_version__policy").filter(pk=pk).first()
        except UNREADABLE:
            found = None
            if records.filter(pk=pk).exists():  # (fails too if the database does)
                return self._no_receipt(request, pk, NO_RECEIPT)
        if found is None:
            raise Http404(gettext("No consent record with that ID."))
        try:
            data = receipt(found)
        except NotAsWritten:
            return self._no_receipt(request, pk, NOT_AS_WRITTEN)
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="receipt-{found.consent_id}.json"'
        return response

    def _no_receipt(self, request: HttpRequest, pk: int, why: StrOrPromise) -> HttpResponse:
        """Back to the record's page, saying why it has no receipt."""
        messages.error(request, why)
        return HttpResponseRedirect(
            reverse(
                "admin:cookieconsent_consentrecord_change",
                args=[pk],
                current_app=self.admin_site.name,
            )
        )
