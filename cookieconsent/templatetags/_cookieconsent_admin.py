"""Tags for the app's own admin templates only (not a public library)."""

from __future__ import annotations

from typing import Any

import django
from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

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


class BreadcrumbsNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        # The body is the template's own output, escaped as it rendered: one crumb a line.
        lines = self.nodelist.render(context).splitlines()
        crumbs = [mark_safe(line.strip()) for line in lines if line.strip()]
        if django.VERSION < (6, 0):
            return format_html(
                '<div class="breadcrumbs">\n{}\n</div>',
                mark_safe("\n&rsaquo; ".join(crumbs)),
            )
        *trail, here = crumbs
        items = [format_html("<li>{}</li>", crumb) for crumb in trail]
        items.append(format_html('<li aria-current="page">{}</li>', here))
        return format_html('<ol class="breadcrumbs">\n{}\n</ol>', mark_safe("\n".join(items)))


@register.tag("breadcrumbs")
def breadcrumbs(parser: template.base.Parser, token: template.base.Token) -> BreadcrumbsNode:
    """``{% breadcrumbs %}`` one crumb a line, the page's own last ``{% endbreadcrumbs %}``:
    the trail as the installed Django's admin writes its own, a ``<div>`` with ``&rsaquo;``
    between the crumbs up to 5.2, an ``<ol>`` of ``<li>`` from 6.0 (whose stylesheet styles
    only that: the app's ``<div>`` was plain text at the top of the page)."""
    nodelist = parser.parse(("endbreadcrumbs",))
    parser.delete_first_token()
    return BreadcrumbsNode(nodelist)
