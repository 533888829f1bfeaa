"""Published versions: listed, each shown as visitors saw it, any two compared."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cookieconsent.admin import display
from cookieconsent.admin.drafts import PublishReminderMixin, remind_to_publish
from cookieconsent.admin.frames import frames
from cookieconsent.admin.queries import RefuseNulMixin
from cookieconsent.admin.readonly import ReadOnlyMixin
from cookieconsent.models import CookiePolicy, PublishedVersion, Snapshot
from cookieconsent.models.content import draft_content
from cookieconsent.publishing import diff as diffing
from cookieconsent.publishing import render as rendering
from cookieconsent.publishing import serve as serving
from cookieconsent.regimes import REGIMES

if TYPE_CHECKING:
    _VersionAdmin = admin.ModelAdmin[PublishedVersion]
else:
    _VersionAdmin = admin.ModelAdmin


@admin.register(PublishedVersion)
class PublishedVersionAdmin(RefuseNulMixin, PublishReminderMixin, ReadOnlyMixin, _VersionAdmin):
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
        "compare_link",
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
        remind_to_publish(request, self.admin_site.name)
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
        # As Django's own admin views: {% url 'admin:...' %} then names this site.
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/cookieconsent/version.html", context)

    @admin.display(description=_("changes"))
    def compare_link(self, obj: PublishedVersion) -> str:
        """A link to what this version changed in the one before (none before the first)."""
        if obj.number <= 1:
            return ""
        query = urlencode({"old": obj.number - 1, "new": obj.number})
        return format_html(
            '<a href="{}?{}" title="{}">{}</a>',
            reverse("admin:cookieconsent_publishedversion_diff", current_app=self.admin_site.name),
            query,
            gettext("Compare with version %(number)d") % {"number": obj.number - 1},
            gettext("What changed"),
        )

    def diff_view(self, request: HttpRequest) -> HttpResponse:
        """What changed between versions ``?old=`` and ``?new=`` (numbers), or from version
        ``?old=`` (the live one by default) to the draft (``?new=draft``), in ``?language=``:
        the text word by word, and the policy's parts, categories, cookies and regimes added,
        removed or changed."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.GET.get("new") == "draft":
            return self._draft_diff(request)
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
        title = gettext("Changes from version %(old)d to version %(new)d") % {
            "old": old_number,
            "new": new_number,
        }
        changes = diffing.compare(old.version.content, new.version.content)
        return self._diff_page(request, title, old, new.text, changes, new.language)

    def _draft_diff(self, request: HttpRequest) -> HttpResponse:
        """The draft compared with a version: what publishing it would change."""
        policy = CookiePolicy.current()
        live = PublishedVersion.objects.order_by("-number").first()
        if live is None:
            raise Http404(gettext("Nothing is published yet: there is nothing to compare with."))
        if policy is None:
            raise Http404(gettext("No cookie policy is current: there is no draft to compare."))
        try:
            number = int(request.GET.get("old", live.number))
        except ValueError:
            raise Http404(gettext("There is no such version.")) from None
        old = serving.snapshot(number, request.GET.get("language"))
        if old is None:
            raise Http404(gettext("There is no such version."))
        # With the version's own number and date: only what the draft changes shows.
        preview = rendering.render(
            policy,
            number=old.version.number,
            last_updated=old.version.last_updated,
            language=old.language,
        )
        title = gettext("Unpublished changes: the draft compared with version %(old)d") % {
            "old": number
        }
        changes = diffing.compare(old.version.content, draft_content())
        return self._diff_page(request, title, old, preview.text, changes, old.language)

    def _diff_page(
        self,
        request: HttpRequest,
        title: str,
        old: Snapshot,
        new_text: str,
        changes: list[diffing.Change],
        language: str,
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "old": old,
            "language": language,
            "text_diff": diffing.text_diff(old.text, new_text),
            "changes": changes,
        }
        # As Django's own admin views: {% url 'admin:...' %} then names this site.
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/cookieconsent/diff.html", context)
