"""Gated content made inert: nothing in it loads or runs until the visitor allows its category.

``{% consent_gate "slug" %}`` hands its content here when the category is not allowed (or
the page is shared). The content is read with the standard library's HTML tokenizer
(``html.parser``), not with regular expressions, and written out again so that a browser
reads it exactly as the tokenizer did:

- every start tag is written anew from the attributes the tokenizer found (values quoted,
  ``"``, ``<`` and ``>`` escaped, the first of duplicate attributes kept, as browsers do;
  names holding a quote, ``=``, ``<`` or a control character, which no element acts on, left
  out);
- ``<script>`` becomes ``type="text/plain"``, its own type kept in ``data-type``;
- attributes that fetch (``src``, ``srcset``, ``href`` of ``<link>``, ``data``, ``poster``,
  ``srcdoc``, ``background``…) and inline event handlers (``on…``) move to
  ``data-cookieconsent-<name>``; the element gets ``data-cookieconsent="slug"``, and the
  browser script puts them back once the category is allowed;
- an element already marked (by a gate inside this one, or by hand) keeps its slugs and gets
  this one too, ``data-cookieconsent="inner outer"``: the script waits for all of them; an
  inert script keeps its ``data-type``;
- every other ``<`` is escaped (text, comments, declarations) or, inside script and style
  text, ``</`` becomes ``<\\/``: so no construct can end earlier in a browser than it did for
  the tokenizer, and no tag can appear that the tokenizer did not see and rewrite.

After an ``<svg>`` or ``<math>`` start tag, a browser parses the text of ``<script>`` and
``<style>`` as markup; so does the rewriter, from there to the end of the gate (those
scripts' text is then escaped as text: put scripts before inline SVG, or in a gate of their
own). A gate must not itself be placed inside ``<svg>`` or ``<math>``. CSS (``style``
attributes, ``<style>``) is not rewritten.
"""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from itertools import chain
from typing import Any

from django.utils.html import escape

logger = logging.getLogger("cookieconsent")

#: Prefix of the attributes that hold what a gated element would load: ``src`` is kept in
#: ``data-cookieconsent-src`` and so on. The browser script is told it (``script.py``).
PREFIX = "data-cookieconsent-"
#: Marks a gated element with its category's slug.
MARKER = "data-cookieconsent"

#: Attributes that make an element fetch something, by element (``image`` is what the HTML
#: parser turns into ``img``; it is also SVG's image, as are ``feimage`` and ``use``; SVG's
#: ``<script>`` loads ``href``; SVG's animation elements can give their target any attribute).
FETCHING: dict[str, frozenset[str]] = {
    tag: frozenset(names)
    for tag, names in {
        "iframe": ("src", "srcdoc"),
        "frame": ("src",),
        "img": ("src", "srcset"),
        "image": ("src", "srcset", "href", "xlink:href"),
        "source": ("src", "srcset"),
        "video": ("src", "poster"),
        "audio": ("src",),
        "track": ("src",),
        "link": ("href", "imagesrcset"),
        "object": ("data",),
        "embed": ("src",),
        "input": ("src",),
        "feimage": ("href", "xlink:href"),
        "use": ("href", "xlink:href"),
        # SVG's <script> loads its href whatever its type says; HTML's keeps its src, which
        # type="text/plain" leaves unloaded (the browser script copies it across).
        "script": ("href", "xlink:href"),
        # SVG animation sets any attribute of its target (an <image>'s href, say) from these
        # (animateMotion and animateTransform set only a position and a transform).
        **dict.fromkeys(("set", "animate"), ("to", "from", "by", "values", "href", "xlink:href")),
        # <meta http-equiv="refresh" content="0;url=…"> navigates wherever it sits.
        "meta": ("content",),
    }.items()
}
#: Attributes that fetch on any element (the legacy ``background`` of body and tables).
FETCHING_ANYWHERE = frozenset({"background"})

_FOREIGN = frozenset({"svg", "math"})
_CDATA = ("script", "style")


#: An attribute name that reads back as itself wherever it is written. The tokenizer also
#: hands back names such as ``=`` or ``"x"src`` (as a browser reads them, neither fetches),
#: but written after a valueless attribute, `` = "x"src=/p.gif`` would give that attribute a
#: value and the element a live ``src``: such names are left out.
_PLAIN_NAME = re.compile(r"[^\s\"'<>/=\x00-\x1f\x7f]+")


def _moves(tag: str, name: str) -> bool:
    """Whether attribute ``name`` of ``<tag>`` must move aside in gated content."""
    return name in FETCHING.get(tag, ()) or name in FETCHING_ANYWHERE or name.startswith("on")


#: Where the stand-in for ``&`` is taken from: the private-use area, then its two planes.
_PRIVATE_USE = (range(0xE000, 0xF900), range(0xF0000, 0xFFFFE), range(0x100000, 0x10FFFE))


def _sentinel(html: str) -> str:
    """A character absent from ``html``, to stand in for ``&`` while tokenizing: the tokenizer
    then hands back attribute values exactly as written (it decodes character references
    differently from browsers in attributes, ``&region=`` included)."""
    if "\ue000" not in html:
        return "\ue000"
    used = set(html)
    for code in chain(*_PRIVATE_USE):
        if chr(code) not in used:
            return chr(code)
    raise ValueError("no private-use character is free")


def _quote(value: str) -> str:
    """A raw attribute value, double-quoted; character references stay as written."""
    return '"' + value.replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;") + '"'


class _Rewriter(HTMLParser):
    def __init__(self, source: str, slug: str) -> None:
        super().__init__(convert_charrefs=False)
        self.source = source
        self.slug = escape(slug)
        self.out: list[str] = []
        self.foreign = False
        # Comments and declarations are copied from the source, up to the next token.
        self.lines = [0] + [m.end() for m in re.finditer("\n", source)]
        self.copy_from: int | None = None

    # -- positions ---------------------------------------------------------------------

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def _token(self) -> int:
        """Start of the token being handled; ends a comment copied since the last one."""
        start = self._offset()
        self._end_copy(start)
        return start

    def _end_copy(self, end: int) -> None:
        if self.copy_from is not None:
            raw = self.source[self.copy_from : end]
            self.out.append(raw[:1] + raw[1:].replace("<", "&lt;"))
            self.copy_from = None

    def _copy(self) -> None:
        self.copy_from = self._token()

    # -- tags --------------------------------------------------------------------------

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], closing: str) -> None:
        self._token()
        raw = self.get_starttag_text() or ""
        name = raw[1 : 1 + len(tag)]
        parts: list[str] = []
        seen: set[str] = set()
        gated = False
        # The first marker: a hand-written inert element's, or an inner gate's.
        marked = any(key == MARKER for key, _ in attrs)
        own = next((value for key, value in attrs if key == MARKER), None)
        if tag == "script":
            gated = True
            parts.append(' type="text/plain"')
            seen.add("type")
            kept = next((value for key, value in attrs if key == "type"), None)
            if kept is not None and not (marked and kept.strip().lower() == "text/plain"):
                # An inert script (in a gate inside this one) keeps its data-type, below.
                parts.append(f" data-type={_quote(kept)}")
                seen.add("data-type")
        moved: list[str] = []
        for key, value in attrs:
            if not _PLAIN_NAME.fullmatch(key) or key == MARKER:
                continue
            out = PREFIX + key if _moves(tag, key) else key
            if out in seen or key in seen:
                continue  # a browser keeps the first of two; ours come first
            seen.update((key, out))
            if out != key:
                gated = True
            moved.append(f" {out}" if value is None else f" {out}={_quote(value)}")
        # Content gated twice (a gate inside a gate) needs both categories: the marker holds
        # every slug, and the script activates the element once all of them are allowed.
        slugs = (own or "").split()
        if gated or slugs:
            slugs += [self.slug] if self.slug not in slugs else []
            marker = f" {MARKER}={_quote(' '.join(slugs))}"
            parts.insert(1 if tag == "script" else 0, marker)
        elif marked:
            parts.append(f" {MARKER}" if own is None else f" {MARKER}={_quote(own)}")
        self.out.append(f"<{name}{''.join(parts)}{''.join(moved)}{closing}>")
        if tag in _FOREIGN and not closing:
            self.foreign = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, " /")

    def set_cdata_mode(self, *args: Any, **kwargs: Any) -> None:
        # A browser reads script and style text as markup inside <svg> and <math>.
        if not self.foreign:
            super().set_cdata_mode(*args, **kwargs)

    def handle_endtag(self, tag: str) -> None:
        start = self._token()
        name = self.source[start + 2 : start + 2 + len(tag)]
        self.out.append(f"</{name if name.lower() == tag else tag}>")

    # -- text --------------------------------------------------------------------------

    def handle_data(self, data: str) -> None:
        self._token()
        if getattr(self, "cdata_elem", None) in _CDATA:
            self.out.append(data.replace("</", "<\\/"))
        else:
            self.out.append(data.replace("<", "&lt;"))

    def handle_comment(self, data: str) -> None:
        self._copy()

    def handle_decl(self, decl: str) -> None:
        self._copy()

    def handle_pi(self, data: str) -> None:
        self._copy()

    def unknown_decl(self, data: str) -> None:
        self._copy()

    def finish(self) -> str:
        self.close()
        tail = len(self.source) - len(self.rawdata)
        self._end_copy(tail)
        if self.rawdata:
            # The text of a script or style the gate leaves open.
            self.out.append(self.rawdata.replace("</", "<\\/"))
        return "".join(self.out)


def inert(html: str, slug: str) -> str:
    """``html`` with nothing that loads or runs until ``slug`` is allowed (see the module).

    Content the rewriter cannot read (the tokenizer gives up on some ``<![`` constructs, and
    there are only so many private-use characters) is escaped whole, so it shows as text and
    nothing in it loads, ever; a warning names the problem."""
    if "<" not in html:
        return html
    try:
        sentinel = _sentinel(html)
        rewriter = _Rewriter(html.replace("&", sentinel), slug)
        rewriter.feed(rewriter.source)
        return rewriter.finish().replace(sentinel, "&")
    except Exception as error:  # whatever it is, the content must not go out live
        logger.warning(
            "The content of consent_gate %r could not be read as HTML (%s: %s): it is shown "
            "escaped, as text, and never comes to life.",
            slug,
            type(error).__name__,
            error,
        )
        return escape(html)
