"""Telling staff what waits for Publish: nothing published yet, or how many changes the draft
holds, on every page of the app's admin, with the way to review and publish them.

Links are made for the admin site the page is on (``current_app``, the site's name), as
Django's own admin does: a site may register the app's pages on an ``AdminSite`` of its own,
with or without them on ``admin.site``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext

from cookieconsent.models import CookiePolicy
from cookieconsent.publishing import diff as diffing

if TYPE_CHECKING:
    _AnyAdmin = admin.ModelAdmin[Any]
else:
    _AnyAdmin = object

#: The permission publishing needs; view-only staff do not have it.
PUBLISH_PERMISSION = "cookieconsent.publish_cookiepolicy"


def can_publish(request: HttpRequest) -> bool:
    return bool(request.user.has_perm(PUBLISH_PERMISSION))


def can_review(request: HttpRequest) -> bool:
    """Whether the user may open the published versions' pages, the draft's diff among them:
    Django's ``has_view_permission()`` of a ``ModelAdmin``, for ``PublishedVersion``."""
    user = request.user
    return bool(
        user.has_perm("cookieconsent.view_publishedversion")
        or user.has_perm("cookieconsent.change_publishedversion")
    )


def draft_diff_url(live: int, current_app: str) -> str:
    """The page of the admin site named ``current_app`` that compares the draft with version
    ``live``."""
    query = urlencode({"old": str(live), "new": "draft"})
    diff = reverse("admin:cookieconsent_publishedversion_diff", current_app=current_app)
    return f"{diff}?{query}"


def remind_to_publish(request: HttpRequest, current_app: str) -> None:
    """Say what waits for Publish, with the way to it on the admin site named
    ``current_app`` (``self.admin_site.name``): until a version is published, that the policy
    page answers 404 and records cite no version; without a current policy, that nothing can
    be published; then how many changes the draft holds (“3 unpublished changes · Review and
    publish”), if any, to staff who may open the page that shows them. Seven queries, and the
    user's permissions.

    The site is named by the caller: a ``ModelAdmin``'s view calls this before Django sets
    ``request.current_app``."""
    if request.method != "GET":
        return
    live, changes = diffing.unpublished()
    policy = CookiePolicy.current()
    publish = (
        reverse(
            "admin:cookieconsent_cookiepolicy_publish", args=[policy.pk], current_app=current_app
        )
        if policy is not None and can_publish(request)
        else None
    )
    if live is None:
        _remind_nothing_published(request, publish)
    elif policy is None:
        # Between unticking one policy and ticking another: no draft to compare or publish.
        messages.warning(
            request,
            gettext(
                "No cookie policy is current: visitors still see version %(number)d, and "
                "nothing can be published until a policy is marked current."
            )
            % {"number": live.number},
        )
    elif changes and (publish is not None or can_review(request)):
        count = ngettext(
            "%(count)d unpublished change", "%(count)d unpublished changes", len(changes)
        ) % {"count": len(changes)}
        link = publish or draft_diff_url(live.number, current_app)
        words = gettext("Review and publish") if publish else gettext("Review")
        messages.info(
            request,
            format_html('{} · <a href="{}" class="cc-unpublished">{}</a>', count, link, words),
        )


def _remind_nothing_published(request: HttpRequest, publish: str | None) -> None:
    if publish is not None:
        messages.warning(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                gettext(
                    "No cookie policy has been published yet: the policy page answers "
                    "“Not found” and consents are recorded without a version."
                ),
                publish,
                gettext("Review and publish"),
            ),
        )
    else:
        messages.warning(
            request,
            gettext(
                "No cookie policy has been published yet: mark a policy current, then publish "
                "it (Publish… on its page, or manage.py cookieconsent_publish)."
            ),
        )


class PublishReminderMixin(_AnyAdmin):
    """Shows ``remind_to_publish()`` on the list, add and change pages; a view of the app's
    own calls it itself."""

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return self._reminding(request, super().changelist_view(request, extra_context))

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return self._reminding(request, super().add_view(request, form_url, extra_context))

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        return self._reminding(request, response)

    def _reminding(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """``response``, the reminder queued first if it is a page still to be rendered with
        the request, hence with its messages, as Django's views return the pages they show.
        Not on a redirect (to ``?e=1``, or from an object that does not exist), whose next
        page would say it again, nor on the bare “Database error” page, which shows no
        messages and would leave it for the next. A refused page raised before this: nothing
        is queued that would tell staff of a draft they may not read on the next page."""
        if isinstance(response, TemplateResponse) and not response.is_rendered:
            remind_to_publish(request, self.admin_site.name)
        return response
