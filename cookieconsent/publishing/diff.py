"""Comparing two versions, or the draft with the live version: the words visitors are shown,
word by word, and what changed among the policy's parts, sections, categories, cookies and
regimes, item by item.

Everything staff wrote is escaped here: the HTML this returns is safe to show as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from difflib import SequenceMatcher
from typing import Any

from django.db import models
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from cookieconsent.lifetimes import format_lifetime
from cookieconsent.models import (
    Cookie,
    CookieCategory,
    CookiePolicy,
    Party,
    PolicySection,
    PublishedVersion,
    Regime,
    RegionRule,
    Technology,
)
from cookieconsent.models.content import (
    CATEGORY_FIELDS,
    COOKIE_FIELDS,
    POLICY_FIELDS,
    SECTION_FIELDS,
    draft_content,
)

# Words, runs of spaces and single marks: a change is shown a whole word at a time.
_TOKENS = re.compile(r"\w+|\s+|[^\w\s]")


def inline(old: str, new: str) -> SafeString:
    """``old`` changed into ``new``, word by word: removed words in ``<del>``, added ones in
    ``<ins>``, each escaped."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(format_html("<del>{}</del>", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(format_html("<ins>{}</ins>", "".join(b[j1:j2])))
    return mark_safe("".join(out))  # every piece escaped above


def text_diff(old: str, new: str, *, context: int = 1) -> SafeString:
    """What changed from ``old`` to ``new`` (one paragraph a line): changed paragraphs word
    by word, added and removed ones whole, ``context`` unchanged ones around each change and
    “…” for the rest. Empty when nothing changed."""
    a, b = old.splitlines(), new.splitlines()
    if a == b:
        return SafeString("")
    rows: list[SafeString] = []
    opcodes = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for number, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            rows.extend(
                _context(a[i1:i2], context, first=number == 0, last=number == len(opcodes) - 1)
            )
            continue
        removed, added = a[i1:i2], b[j1:j2]
        for k in range(max(len(removed), len(added))):
            if k < len(removed) and k < len(added):
                rows.append(_row("changed", inline(removed[k], added[k])))
            elif k < len(removed):
                rows.append(_row("removed", format_html("<del>{}</del>", removed[k])))
            else:
                rows.append(_row("added", format_html("<ins>{}</ins>", added[k])))
    return format_html('<div class="cc-diff">{}</div>', mark_safe("".join(rows)))


def _row(kind: str, html: SafeString) -> SafeString:
    return format_html('<p class="cc-diff__{}">{}</p>', kind, html)


def _context(lines: list[str], context: int, *, first: bool, last: bool) -> Iterator[SafeString]:
    """The unchanged ``lines`` next to a change: the last ``context`` before the next change,
    the first ``context`` after the one before, “…” for what is left out."""
    head = [] if first else lines[:context]
    tail = [] if last else lines[len(head) :][-context:] if context else []
    for line in head:
        yield _row("same", escape(line))
    if len(head) + len(tail) < len(lines):
        yield _row("gap", escape("…"))
    for line in tail:
        yield _row("same", escape(line))


# -- what changed, item by item ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of an item, old and new, as the word-by-word diff of its text."""

    label: str
    html: SafeString


@dataclass(frozen=True, slots=True)
class Change:
    """One item added, removed or changed: the unit of “3 unpublished changes”."""

    kind: str  # "policy", "section", "category", "cookie" or "regime"
    kind_label: str
    name: str
    status: str  # "added", "removed" or "changed"
    fields: tuple[FieldChange, ...]

    @property
    def status_label(self) -> str:
        return str(_STATUS[self.status])


_STATUS = {"added": _("added"), "removed": _("removed"), "changed": _("changed")}
_CHOICES: dict[str, type[models.TextChoices]] = {
    "technology": Technology,
    "party": Party,
    "regime": Regime,
}
EMPTY: dict[str, Any] = {
    "policy": None,
    "sections": [],
    "categories": [],
    "cookies": [],
    "regions": {},
}


def compare(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[Change]:
    """What changed from the content ``old`` (``None``: nothing published) to ``new``
    (``models.content``): the policy's words, then its sections, categories, cookies and
    regimes, each added, removed or changed."""
    old = old or EMPTY
    names = {c["slug"]: c["name"] for c in (*old["categories"], *new["categories"])}
    policies = {"policy": old["policy"]} if old["policy"] else {}
    kinds: list[tuple[str, Any, dict[Any, Any], dict[Any, Any], Callable[[Any], str]]] = [
        (
            "policy",
            CookiePolicy,
            policies,
            {"policy": new["policy"]} if new["policy"] else {},
            lambda item: str(item["title"]),
        ),
        (
            "section",
            PolicySection,
            {s["id"]: s for s in old["sections"]},
            {s["id"]: s for s in new["sections"]},
            lambda item: str(item["heading"]),
        ),
        (
            "category",
            CookieCategory,
            {c["slug"]: c for c in old["categories"]},
            {c["slug"]: c for c in new["categories"]},
            lambda item: str(item["name"]),
        ),
        (
            "cookie",
            Cookie,
            {(c["name"], c["technology"]): c for c in old["cookies"]},
            {(c["name"], c["technology"]): c for c in new["cookies"]},
            lambda item: _cookie_name(item),
        ),
        (
            "regime",
            RegionRule,
            {r: {"region": r, "regime": g} for r, g in old["regions"].items()},
            {r: {"region": r, "regime": g} for r, g in new["regions"].items()},
            lambda item: str(item["region"]),
        ),
    ]
    changes: list[Change] = []
    for kind, model, before, after, name in kinds:
        for key in [*before, *(k for k in after if k not in before)]:
            was, now = before.get(key), after.get(key)
            if was == now:
                continue
            status = "added" if was is None else "removed" if now is None else "changed"
            fields = tuple(_fields(model, was or {}, now or {}, names))
            if fields or status != "changed":
                changes.append(Change(kind, str(_KINDS[kind]), name(now or was), status, fields))
    return changes


_KINDS = {
    "policy": gettext_lazy("Policy"),
    "section": gettext_lazy("Section"),
    "category": gettext_lazy("Category"),
    "cookie": gettext_lazy("Cookie"),
    "regime": gettext_lazy("Regional regime"),
}
_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    CookiePolicy: POLICY_FIELDS,
    PolicySection: SECTION_FIELDS,
    CookieCategory: CATEGORY_FIELDS,
    Cookie: (*COOKIE_FIELDS[:1], "category", *COOKIE_FIELDS[1:], "lifetime"),
    RegionRule: ("region", "regime"),
}


#: Fields that name an item (its row says them) or are no words.
_IDENTITY: dict[type[models.Model], tuple[str, ...]] = {
    PolicySection: ("id",),
    Cookie: ("name", "technology"),
    RegionRule: ("region",),
}


def _cookie_name(item: Mapping[str, Any]) -> str:
    if item["technology"] == Technology.HTTP_COOKIE:
        return str(item["name"])
    return f"{item['name']} ({Technology(item['technology']).label})"


def _fields(
    model: type[models.Model],
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    categories: Mapping[str, str],
) -> Iterable[FieldChange]:
    """The fields of ``model`` that differ between ``old`` and ``new`` (one of them empty
    for an item added or removed), translations one language at a time."""
    for field in _FIELDS[model]:
        if field in _IDENTITY.get(model, ("id",)):
            continue  # named in the row already, or no words
        if field == "translations":
            yield from _translations(model, old.get(field) or {}, new.get(field) or {})
            continue
        was, now = (
            _shown(field, old.get(field), categories),
            _shown(field, new.get(field), categories),
        )
        if was != now:
            yield FieldChange(_label(model, field), inline(was, now))


def _translations(
    model: type[models.Model], old: Mapping[str, Any], new: Mapping[str, Any]
) -> Iterable[FieldChange]:
    for language in sorted({*old, *new}):
        was, now = old.get(language) or {}, new.get(language) or {}
        for field in sorted({*was, *now}):
            if (was.get(field) or "") != (now.get(field) or ""):
                label = f"{_label(model, field)} [{language}]"
                yield FieldChange(label, inline(was.get(field) or "", now.get(field) or ""))


def _label(model: type[models.Model], field: str) -> str:
    return str(getattr(model._meta.get_field(field), "verbose_name", field))


def _shown(field: str, value: Any, categories: Mapping[str, str]) -> str:
    """A field's value as the admin names it: “yes”, “HTTP cookie”, “1 year”."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if field == "lifetime":
        return format_lifetime(timedelta(seconds=value))
    if field == "category":
        return categories.get(value, value)
    if field in _CHOICES:
        try:
            return str(_CHOICES[field](value).label)
        except ValueError:
            return str(value)
    return str(value)


def unpublished() -> tuple[PublishedVersion | None, list[Change]]:
    """The live version, and what the draft changes in it (``compare()``): six queries,
    however many items there are."""
    live = PublishedVersion.objects.order_by("-number").first()
    return live, compare(live.content if live is not None else None, draft_content())
