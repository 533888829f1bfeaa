"""Tags for the app's own admin templates only (not a public library)."""

from __future__ import annotations

from typing import Any

from django import template

from cookieconsent.admin.drafts import remind_to_publish

register = template.Library()


@register.simple_tag(takes_context=True)
def remind_to_publish_here(context: dict[str, Any]) -> str:
    """``remind_to_publish()`` from a template, before its messages are shown: for the app's
    index page, which no ``ModelAdmin`` serves."""
    remind_to_publish(context["request"])
    return ""
