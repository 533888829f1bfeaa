"""How the admin's lists show long values in a narrow column: an ID by its first characters,
a moment in one short line, categories by name, a long text cut with its whole on hover."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from types import MappingProxyType

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from cookieconsent.engine.registry import get_registry
from cookieconsent.models.records import slug_list

#: The lists' stylesheet (the clipped IDs and texts), as a ``ModelAdmin``'s ``Media.css``.
LIST_CSS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"all": ("cookieconsent/admin-lists.css",)}
)
#: What the admin shows for no value.
EMPTY = "-"
#: How many characters of an ID a list shows: enough to tell a day's records apart.
ID_LENGTH = 8


def short_id(value: object) -> SafeString:
    """The ID clipped to its first characters on screen; the whole in the page, so that
    selecting the cell copies it, and in the tooltip."""
    text = str(value)
    return format_html(
        '<code class="cc-clip cc-clip--id" title="{}">{}</code>',
        text,
        text,
    )


def clipped(text: str) -> SafeString:
    """A long text (a path) cut to its column with an ellipsis; the whole in the tooltip."""
    return format_html('<span class="cc-clip" title="{}">{}</span>', text, text)


def moment(value: dt.datetime | None) -> SafeString | str:
    """``2026-12-06 17:14`` in the site's time zone, sortable by eye; the time goes under
    the date where the column is narrow."""
    if value is None:
        return EMPTY
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return format_html(
        '<time datetime="{}"><span>{}</span> <span>{}</span></time>',
        value.isoformat(),
        local.strftime("%Y-%m-%d"),
        local.strftime("%H:%M"),
    )


def day(value: dt.date | None) -> SafeString | str:
    """``2026-12-06``."""
    if value is None:
        return EMPTY
    return format_html('<time datetime="{0}">{0}</time>', value.isoformat())


def category_names(slugs: object) -> str:
    """The categories' names in the active language, comma-separated ("Functional,
    Analytics"); a slug no category has any more is shown as stored, and so is anything but a
    list of slugs (a record changed below the ORM), as JSON."""
    listed = slug_list(slugs)
    if listed is None:
        return json.dumps(slugs, ensure_ascii=False)
    registry = get_registry()
    names = []
    for slug in listed:
        info = registry.category(slug)
        names.append(str(info.i18n.name) if info is not None else slug)
    return ", ".join(names) or EMPTY
