"""Tags for the app's own admin templates only (not a public library)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def remind_to_publish_here(context: dict[str, Any]) -> str:
    """``remind_to_publish()`` from a template, before its messages are shown: for the app's
    index page, which no ``ModelAdmin`` serves. Its links are for the site that serves the
    page: Django's ``AdminSite.app_index()`` names it in ``request.current_app``."""
    # Imported here: Django's template engine imports every tag library when it starts, and
    # importing the admin registers its pages, which needs django.contrib.admin installed.
    from cookieconsent.admin.drafts import remind_to_publish

    request = context["request"]
    remind_to_publish(request, request.current_app)
    return ""
