"""Markdown typed into the admin, turned into HTML that is safe to put on the policy page."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import markdown  # type: ignore[import-untyped, unused-ignore]
import nh3
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from cookieconsent.conf import get_config

#: What a policy's text may use; everything else is stripped (``script`` and ``style`` with
#: their content).
ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "em", "strong", "code", "pre", "blockquote", "a",
        "ul", "ol", "li", "h3", "h4", "h5", "h6",
        "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    # The tables extension aligns columns with an inline style; only text-align survives.
    "th": {"style", "colspan", "rowspan"},
    "td": {"style", "colspan", "rowspan"},
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

# The page numbers each section with an <h2>, so a "#" or "##" in a body is one level below.
_TOP_HEADING = re.compile(r"<(/?)h[12]\b", re.IGNORECASE)

# Built once: the rules never change, and building the sanitiser costs more than using it.
_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    filter_style_properties={"text-align"},
    # Set on every link, overriding any rel in the text: a privacy page should not leak the
    # reader's Referer to the sites it links to, nor hand them window.opener.
    link_rel="noopener noreferrer",
)


def extension_error(extension: object) -> Exception | None:
    """What Python-Markdown raises loading ``extension`` as ``MARKDOWN_EXTENSIONS`` gives it
    (a name it knows, a dotted path, an ``Extension``), or ``None`` when it loads. Whatever an
    extension's module raises on import is reported, not raised."""
    try:
        markdown.Markdown(extensions=[extension])
    except Exception as exc:
        return exc
    return None


def _markdown_html(text: str) -> str:
    # A new Markdown instance per call: instances keep state and are not thread-safe.
    html = markdown.markdown(text, extensions=get_config()["MARKDOWN_EXTENSIONS"])
    return _TOP_HEADING.sub(r"<\1h3", html)


def render_markdown(text: str) -> SafeString:
    """``text`` as HTML: Markdown with the ``MARKDOWN_EXTENSIONS`` setting, then sanitised, so
    that what staff type (or paste) can never run script on the page."""
    if not text.strip():
        return SafeString("")
    # Safe because nh3 has just sanitised it.
    return mark_safe(_cleaner.clean(_markdown_html(text)))


def sanitiser_changes(text: str) -> list[str]:
    """What ``render_markdown`` takes out of ``text``, in words staff can act on: “<script>
    removed with its content”, “link to “javascript:…” made inert”. Empty when nothing is.

    The sanitiser itself is asked about each link, so this never disagrees with it.
    """
    if not text.strip():
        return []
    inspector = _Inspector()
    # "<![" outside SVG and MathML (which the sanitiser drops) opens a bogus comment, up to
    # the next ">", in browsers and in the sanitiser; Python's parser reads a marked section
    # and raises on any keyword it does not know ("<![b"): "<! [" is a bogus comment to it too.
    inspector.feed(_markdown_html(text).replace("<![", "<! ["))
    inspector.close()
    return list(dict.fromkeys(inspector.changes))


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.changes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            if tag in ("script", "style"):
                self.changes.append(gettext("<%(tag)s> removed with its content") % {"tag": tag})
            else:
                self.changes.append(gettext("<%(tag)s> removed") % {"tag": tag})
            return
        allowed = ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name not in allowed:
                self.changes.append(
                    gettext("“%(attribute)s” removed from <%(tag)s>")
                    % {"attribute": name, "tag": tag}
                )
            elif (
                name == "href"
                and value
                and "href=" not in _cleaner.clean(format_html('<a href="{}">x</a>', value))
            ):
                shown = value if len(value) <= 40 else value[:39] + "…"
                self.changes.append(gettext("link to “%(url)s” made inert") % {"url": shown})
