"""The policy's admin: its text and sections (the draft), and publishing it."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cookieconsent import clock, publishing
from cookieconsent.admin.drafts import PublishReminderMixin, can_publish
from cookieconsent.admin.frames import frames
from cookieconsent.admin.markdown import MarkdownWarningsMixin
from cookieconsent.admin.queries import RefuseNulMixin
from cookieconsent.admin.regions import RegionRuleInline, warn_unmatchable
from cookieconsent.admin.translations import TranslationsAdminMixin
from cookieconsent.models import CookiePolicy, PolicySection, PublishedVersion
from cookieconsent.models.content import draft_content
from cookieconsent.publishing import diff as diffing
from cookieconsent.publishing import publication
from cookieconsent.publishing import render as rendering
from cookieconsent.publishing import serve as serving

# The admin classes are generic only to the type checker (django-stubs); at run time they
# cannot be subscripted.
if TYPE_CHECKING:
    _PolicyAdmin = admin.ModelAdmin[CookiePolicy]
    _SectionInline = admin.StackedInline[PolicySection, CookiePolicy]
else:
    _PolicyAdmin = admin.ModelAdmin
    _SectionInline = admin.StackedInline


class PolicySectionInline(TranslationsAdminMixin, _SectionInline):
    model = PolicySection
    translated_fields = ("heading", "body")
    fields = (("heading", "order"), "body", "show_cookie_table")
    ordering = ("order", "pk")
    extra = 0
    # Several sections to a policy: each body a few lines high (the box grows when dragged),
    # so that the form is not a long scroll.
    formfield_overrides: ClassVar = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 4, "class": "vLargeTextField"})}
    }


class PublishForm(forms.Form):
    last_updated = forms.DateField(
        label=_("Last updated"),
        # The browser's date picker writes it in the staff member's own format.
        help_text=_("The date the policy page shows as “Last updated”."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reconsent = forms.BooleanField(
        label=_("Visitors must consent again"),
        required=False,
        help_text=_(
            "Everyone who decided under an earlier version sees the banner again. Choose it "
            "when the change matters to their choice (a new purpose, a new third party)."
        ),
    )


@admin.register(CookiePolicy)
class CookiePolicyAdmin(
    RefuseNulMixin,
    PublishReminderMixin,
    MarkdownWarningsMixin,
    TranslationsAdminMixin,
    _PolicyAdmin,
):
    translated_fields = ("title", "introduction", "banner_title", "banner_message")
    list_display = ("title", "is_current", "last_updated", "latest_version", "modified_at")
    list_filter = ("is_current",)
    search_fields = ("title", "introduction")
    readonly_fields = ("last_updated", "latest_version", "modified_at")
    # What staff edit most comes first; what is set once (contact, the banner's own words)
    # or only read (the publishing dates) is folded away.
    fieldsets = (
        (None, {"fields": ("title", "introduction", "is_current")}),
        (
            _("Banner"),
            {
                "fields": ("banner_title", "banner_message"),
                "classes": ("collapse",),
                "description": _("Empty fields give the app's wording, in every language."),
            },
        ),
        (
            _("Contact"),
            {
                "fields": ("contact_organisation", "contact_address", "contact_email"),
                "classes": ("collapse",),
                "description": _("Who visitors write to about cookies; shown on the policy page."),
            },
        ),
        (
            _("Published"),
            {
                "fields": ("latest_version", "last_updated", "modified_at"),
                "classes": ("collapse",),
            },
        ),
    )
    inlines = (PolicySectionInline, RegionRuleInline)
    change_form_template = "admin/cookieconsent/policy_change_form.html"

    @admin.display(description=_("latest published version"))
    def latest_version(self, obj: CookiePolicy) -> str:
        version = obj.published_versions.order_by("-number").first() if obj.pk else None
        return str(version) if version else gettext("Not published yet")

    def get_urls(self) -> list[URLPattern]:
        publish = self.admin_site.admin_view(self.publish_view)
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<path:object_id>/publish/", publish, name="{}_{}_publish".format(*info)),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "GET" and self.has_view_permission(request):
            warn_unmatchable(request, self.get_object(request, unquote(object_id)))
        extra = {"can_publish": can_publish(request), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """“Publish…”: a preview of what visitors will see, the date and the re-consent
        choice; publishing on POST."""
        if not can_publish(request):
            raise PermissionDenied
        # get_object() answers None, hence a 404, for a key that is not one ("abc").
        policy = self.get_object(request, unquote(object_id))
        if policy is None:
            raise Http404(gettext("No cookie policy has this ID."))
        if not policy.is_current:
            return self._not_current(request, policy, publishing.NotCurrentPolicy(policy))
        form = PublishForm(
            request.POST or None, initial={"last_updated": clock.localdate(), "reconsent": False}
        )
        if request.method == "POST" and form.is_valid():
            try:
                version = publishing.publish(
                    policy,
                    reconsent=form.cleaned_data["reconsent"],
                    last_updated=form.cleaned_data["last_updated"],
                    published_by=request.user.get_username(),
                )
            except publishing.NotCurrentPolicy as refused:  # made not current meanwhile
                return self._not_current(request, policy, refused)
            except publishing.NothingToPublish as unchanged:
                form.add_error(None, str(unchanged))
            else:
                if version.reconsent:
                    message = gettext(
                        "Published %(version)s. Visitors will be asked to consent again."
                    )
                else:
                    message = gettext("Published %(version)s.")
                self.message_user(request, message % {"version": version}, messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse(
                        "admin:cookieconsent_publishedversion_change",
                        args=[version.pk],
                        current_app=self.admin_site.name,
                    )
                )
        # The date asked for, when it reads as one: also once publishing was refused
        # ("Nothing to publish" is the form's error, which makes it invalid).
        day = form.cleaned_data.get("last_updated") if form.is_bound else None
        preview = rendering.preview(policy, last_updated=day or _initial_date(form))
        live = PublishedVersion.objects.order_by("-number").first()
        content = draft_content()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": policy,
            "title": gettext("Publish “%(policy)s”") % {"policy": policy},
            "form": form,
            "number": (PublishedVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1,
            "frames": frames(preview),
            "media": self.media + form.media,
            "live": live,
        }
        if live is not None:
            changes = diffing.compare(live.content, content)
            context.update(
                changes=changes,
                text_diff=_text_diff(policy, live, preview.language),
                nothing_to_publish=not changes and publication.unchanged(policy, live, content),
            )
        # As Django's own admin views: {% url 'admin:...' %} then names this site.
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/cookieconsent/publish.html", context)

    def _not_current(
        self, request: HttpRequest, policy: CookiePolicy, refused: publishing.NotCurrentPolicy
    ) -> HttpResponse:
        """Back to the policy's change form, saying why nothing was published."""
        self.message_user(request, str(refused), messages.ERROR)
        return HttpResponseRedirect(
            reverse(
                "admin:cookieconsent_cookiepolicy_change",
                args=[policy.pk],
                current_app=self.admin_site.name,
            )
        )


def _text_diff(policy: CookiePolicy, live: PublishedVersion, language: str) -> SafeString:
    """What visitors read that publishing ``policy`` would change in ``live``: rendered with
    the live version's number and date, so that only the words that differ show."""
    shown = serving.snapshot(live.number, language)
    draft = rendering.render(
        policy, number=live.number, last_updated=live.last_updated, language=language
    )
    return diffing.text_diff(shown.text if shown is not None else "", draft.text)


def _initial_date(form: PublishForm) -> date:
    initial = form.initial["last_updated"]
    assert isinstance(initial, date)
    return initial
