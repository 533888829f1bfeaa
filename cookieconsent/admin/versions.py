"""Published versions: listed, each shown as visitors saw it, any two compared."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cookieconsent.admin import display
from cookieconsent.admin.frames import frames
from cookieconsent.admin.readonly import ReadOnlyMixin
from cookieconsent.models import PublishedVersion
from cookieconsent.publishing import diff as diffing
from cookieconsent.publishing import serve as serving
from cookieconsent.regimes import REGIMES

if TYPE_CHECKING:
    _VersionAdmin = admin.ModelAdmin[PublishedVersion]
else:
    _VersionAdmin = admin.ModelAdmin


@admin.register(PublishedVersion)
class PublishedVersionAdmin(ReadOnlyMixin, _VersionAdmin):
    """Read only: a version is what visitors were shown, and stays so."""

    # Dates in one short line each, so that every column, "published by" too, fits a laptop's
    # screen beside the filter.
    list_display = (
        "number",
        "policy",
        "last_updated_day",
        "published",
        "asked_again",
        "publisher",
    )
    list_display_links = ("number",)
    list_filter = ("reconsent",)
    list_select_related = ("policy",)
    actions = None

    class Media:
        css = display.LIST_CSS

    @admin.display(description=_("last updated"), ordering="last_updated")
    def last_updated_day(self, obj: PublishedVersion) -> SafeString | str:
        return display.day(obj.last_updated)

    @admin.display(description=_("published at"), ordering="published_at")
    def published(self, obj: PublishedVersion) -> SafeString | str:
        return display.moment(obj.published_at)

    @admin.display(description=_("re-consent"), boolean=True, ordering="reconsent")
    def asked_again(self, obj: PublishedVersion) -> bool:
        return obj.reconsent

    @admin.display(description=_("published by"), ordering="published_by")
    def publisher(self, obj: PublishedVersion) -> SafeString:
        return display.clipped(obj.published_by)

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "diff/", self.admin_site.admin_view(self.diff_view), name="{}_{}_diff".format(*info)
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The version as visitors saw it, in the language asked for (``?language=``)."""
        if not self.has_view_permission(request):
            return super().change_view(request, object_id, form_url, extra_context)
        try:
            pk = PublishedVersion._meta.pk.to_python(object_id)
        except ValidationError:  # "abc" is no version's number, not a server error
            raise Http404(gettext("There is no such version.")) from None
        version = get_object_or_404(PublishedVersion.objects.select_related("policy"), pk=pk)
        snapshots = {s.language: s for s in version.snapshots.all()}
        if not snapshots:
            raise Http404
        shown = serving.pick(snapshots, request.GET.get("language"))
        # The banner of the regime the visitor was under (a record's link says which).
        regime = request.GET.get("regime", "")
        regime = regime if regime in REGIMES else "opt-in"
        others = PublishedVersion.objects.exclude(pk=version.pk).values_list("number", flat=True)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": version,
            "title": str(version),
            "version": version,
            "shown": shown,
            "languages": sorted(snapshots),
            "frames": frames(shown, regime),
            "others": list(others),
        }
        return TemplateResponse(request, "cookieconsent/admin/version.html", context)

    def diff_view(self, request: HttpRequest) -> HttpResponse:
        """What changed between versions ``?old=`` and ``?new=`` (numbers), in ``?language=``."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            old_number, new_number = int(request.GET["old"]), int(request.GET["new"])
        except (KeyError, ValueError):
            raise Http404(gettext("Choose two versions to compare.")) from None
        if old_number > new_number:
            old_number, new_number = new_number, old_number
        language = request.GET.get("language")
        old = serving.snapshot(old_number, language)
        new = serving.snapshot(new_number, language)
        if old is None or new is None:
            raise Http404(gettext("There is no such version."))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Changes from version %(old)d to version %(new)d")
            % {"old": old_number, "new": new_number},
            "old": old,
            "new": new,
            "diff": diffing.diff(old, new),
            "same_text": old.text == new.text,
            "same_table": old.table_rows == new.table_rows,
        }
        return TemplateResponse(request, "cookieconsent/admin/diff.html", context)
