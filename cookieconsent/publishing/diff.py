"""Comparing two published versions: their text and their cookie tables."""

from __future__ import annotations

import difflib

from django.utils.safestring import SafeString, mark_safe

from cookieconsent.models import Snapshot


def diff(old: Snapshot, new: Snapshot) -> dict[str, SafeString]:
    """What changed from ``old`` to ``new``: side-by-side tables of the text and of the cookie
    table (one line per cookie), only the changed parts with some context."""
    differ = difflib.HtmlDiff(wrapcolumn=50)
    names = (f"v{old.version.number}", f"v{new.version.number}")

    def rows(snapshot: Snapshot) -> list[str]:
        return [" | ".join(row) for row in snapshot.table_rows]

    return {
        "text": mark_safe(
            differ.make_table(old.text.splitlines(), new.text.splitlines(), *names, context=True)
        ),
        "table": mark_safe(differ.make_table(rows(old), rows(new), *names, context=True)),
    }
