# ruff: noqa: E501  (the expected HTML reads best one case a line)
"""``cookieconsent.engine.gating``: gated content neither loads nor runs anything, however it is
written. The browser's own view of it is tested in ``test_browser.py``."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.utils.html import escape
from hypothesis import given, settings
from hypothesis import strategies as st

from cookieconsent.engine.gating import FETCHING, FETCHING_ANYWHERE, MARKER, PREFIX, inert
from tests.strategies import LEAK, fragments

SLUG = "analytics"


class Tags(HTMLParser):
    """Every start tag of a document, with its attributes (the first of duplicates)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        first: dict[str, str | None] = {}
        for name, value in attrs:
            first.setdefault(name, value)
        self.tags.append((tag, first))


def live(html: str) -> list[str]:
    """What in ``html`` would still load or run."""
    found = []
    for tag, attrs in Tags(html).tags:
        if tag == "script" and attrs.get("type") != "text/plain":
            found.append(f"<script type={attrs.get('type')!r}>")
        for name in attrs:
            if name in FETCHING.get(tag, ()) or name in FETCHING_ANYWHERE or name.startswith("on"):
                found.append(f"<{tag} {name}>")
    return found


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # Defect 10 as reported: no space, or "/", before src.
        ("<iframe/src=https://v.example/1>", '<iframe data-cookieconsent="analytics" data-cookieconsent-src="https://v.example/1">'),
        ('<iframe title="x"src=https://v.example/1>', '<iframe data-cookieconsent="analytics" title="x" data-cookieconsent-src="https://v.example/1">'),
        # A ">" in a quoted value; the type is replaced, not doubled.
        ('<script data-x="a>b" type="module" src="/m.js"></script>', '<script type="text/plain" data-cookieconsent="analytics" data-type="module" data-x="a&gt;b" src="/m.js"></script>'),
        ('<img src="/p.gif" srcset="/p2.gif 2x">', '<img data-cookieconsent="analytics" data-cookieconsent-src="/p.gif" data-cookieconsent-srcset="/p2.gif 2x">'),
        ('<video poster="/p.jpg"><source src="/v.mp4" type="video/mp4"></video>', '<video data-cookieconsent="analytics" data-cookieconsent-poster="/p.jpg"><source data-cookieconsent="analytics" data-cookieconsent-src="/v.mp4" type="video/mp4"></video>'),
        ('<audio src="/a.mp3"></audio>', '<audio data-cookieconsent="analytics" data-cookieconsent-src="/a.mp3"></audio>'),
        ('<link rel="stylesheet" href="/s.css">', '<link data-cookieconsent="analytics" rel="stylesheet" data-cookieconsent-href="/s.css">'),
        ('<object data="/o.svg"></object>', '<object data-cookieconsent="analytics" data-cookieconsent-data="/o.svg"></object>'),
        ('<embed src="/e.swf">', '<embed data-cookieconsent="analytics" data-cookieconsent-src="/e.swf">'),
        # Character references stay as written: browsers do not decode "&region" in a value.
        ('<img src="/p?a=1&region=eu&amp;b=2">', '<img data-cookieconsent="analytics" data-cookieconsent-src="/p?a=1&region=eu&amp;b=2">'),
        # The browser keeps the first of two attributes; so does the rewriter.
        ('<img src="/a" onerror="go()" src="/b">', '<img data-cookieconsent="analytics" data-cookieconsent-src="/a" data-cookieconsent-onerror="go()">'),
        # A hand-written inert iframe keeps its own category, and needs the gate's too.
        ('<iframe data-cookieconsent="functional" data-cookieconsent-src="/m"></iframe>', '<iframe data-cookieconsent="functional analytics" data-cookieconsent-src="/m"></iframe>'),
        ('<iframe data-cookieconsent="analytics" data-cookieconsent-src="/m"></iframe>', '<iframe data-cookieconsent="analytics" data-cookieconsent-src="/m"></iframe>'),
        # An inert script (a gate's inside this one) keeps its own type to run with.
        ('<script type="text/plain" data-cookieconsent="functional" data-type="module" src="/m.js"></script>', '<script type="text/plain" data-cookieconsent="functional analytics" data-type="module" src="/m.js"></script>'),
        ('<script type="text/plain" data-cookieconsent="functional">go()</script>', '<script type="text/plain" data-cookieconsent="functional analytics">go()</script>'),
        # A script of type text/plain without a marker is no gate's: it stays text/plain.
        ('<script type="text/plain" data-type="module">x</script>', '<script type="text/plain" data-cookieconsent="analytics" data-type="text/plain">x</script>'),
        # Where a browser ends a comment, script or tag earlier than the tokenizer, what
        # follows stays text.
        ("<!-- --!> <img src=/b> -->", "<!-- --!> &lt;img src=/b> -->"),
        ("<![CDATA[ > <img src=/c> ]]>", "<![CDATA[ > &lt;img src=/c> ]]>"),
        ("<script>a</script x><img src=/i></script>", '<script type="text/plain" data-cookieconsent="analytics">a<\\/script x><img src=/i></script>'),
        ("<img src=/g", "&lt;img src=/g"),
        ('<p title="</textarea><img src=/x>">', '<p title="&lt;/textarea&gt;&lt;img src=/x&gt;">'),
        # Inside <svg>, a script's text is markup to a browser.
        ("<svg><script><img src=/x></script></svg>", '<svg><script type="text/plain" data-cookieconsent="analytics"><img data-cookieconsent="analytics" data-cookieconsent-src="/x"></script></svg>'),
        # SVG's script loads its href even as text/plain: it moves aside like any fetch.
        ('<svg><script href="/s.js"></script></svg>', '<svg><script type="text/plain" data-cookieconsent="analytics" data-cookieconsent-href="/s.js"></script></svg>'),
        # Script text is left alone, but for "</".
        ("<script>if (a < b && c) f('</p>')</script>", '<script type="text/plain" data-cookieconsent="analytics">if (a < b && c) f(\'<\\/p>\')</script>'),
        ("no markup & no change", "no markup & no change"),
        ("<!DOCTYPE x [ <img src=/d> ]><p>", "<!DOCTYPE x [ &lt;img src=/d> ]><p>"),
        ("<?x <img src=/e>?><p>", "<?x &lt;img src=/e>?><p>"),
        # Found by the generated fragments: an attribute named "=" written after a valueless
        # one would give it the value and the element a live src. Such names are left out.
        ('<img = "x"src=/p.gif data-cookieconsent>', "<img data-cookieconsent>"),
        ('<imgsrc = "http://leak.test/0"background data-cookieconsent>', "<imgsrc data-cookieconsent leak.test>"),
        ('<td = "x"background=/bg.png title=t>', '<td title="t">'),
        # The private-use character that stands in for "&" is one the content lacks.
        ("<img alt=\ue000 src=/a&amp;b>", '<img data-cookieconsent="analytics" alt="\ue000" data-cookieconsent-src="/a&amp;b">'),
    ],
)  # fmt: skip
def test_gated_html(html, expected):
    assert inert(html, SLUG) == expected
    assert live(inert(html, SLUG)) == []


def test_everything_that_fetches_moves_to_the_prefix():
    for tag, names in FETCHING.items():
        html = f"<{tag} " + " ".join(f'{n}="/{n}"' for n in sorted(names)) + ">"
        out = inert(html, SLUG)
        assert live(out) == [], out
        for name in names:
            assert f'{PREFIX}{name}="/{name}"' in out
        assert f'{MARKER}="{SLUG}"' in out


@given(fragments)
@settings(max_examples=400, deadline=None)
def test_nothing_live_survives(html):
    out = inert(html, SLUG)
    assert live(out) == [], (html, out)


@given(fragments)
@settings(max_examples=200, deadline=None)
def test_gating_twice_changes_nothing_more(html):
    once = inert(html, SLUG)
    assert live(inert(once, SLUG)) == []


@given(st.text(alphabet=st.characters(blacklist_characters="<")))
def test_text_without_markup_is_unchanged(text):
    assert inert(text, SLUG) == text


def urls_live(html: str) -> list[tuple[str, str, str | None]]:
    """Every attribute of ``html`` that still holds a URL of ``LEAK`` outside the prefix,
    whatever the element (not only those ``FETCHING`` names)."""
    return [
        (tag, name, value)
        for tag, attrs in Tags(html).tags
        for name, value in attrs.items()
        if not name.startswith(PREFIX) and value and LEAK in value
    ]


@pytest.mark.parametrize(
    "html",
    [
        '<svg><image width="10"><set attributeName="href" to="http://leak.test/a.png"/></image></svg>',
        '<svg><image width="10"><animate attributeName="href" values="http://leak.test/b.png" dur="1s"/></image></svg>',
        '<svg><image><animate attributeName="href" from="http://leak.test/c.png" by="http://leak.test/d.png"/></image></svg>',
        '<svg><filter id="f"><feImage><set attributeName="href" to="http://leak.test/e.png"/></feImage></filter></svg>',
        '<svg><set href="#img" xlink:href="#img" attributeName="href" to="http://leak.test/f.png"/></svg>',
    ],
)  # fmt: skip
def test_svg_animation_cannot_give_a_gated_element_its_url(html):
    """SVG's ``<set>`` and ``<animate>`` set any attribute of their target: inside a gate they
    gave an ``<image>`` or ``<feImage>`` back the ``href`` the gate had moved aside, and
    Chromium fetched it before consent. Their ``to``, ``from``, ``by`` and ``values`` (and the
    ``href`` naming the target) now move aside as well, until the category is allowed."""
    out = inert(html, SLUG)
    assert urls_live(out) == [], out
    assert f'{MARKER}="{SLUG}"' in out


def test_meta_refresh_does_not_navigate_before_consent():
    """A ``<meta http-equiv="refresh">`` navigates wherever it sits in the page: inside a gate
    its ``content`` (the URL) stayed live. It moves aside like any fetching attribute."""
    out = inert('<meta http-equiv="refresh" content="0;url=http://leak.test/m">', SLUG)
    assert out == (
        '<meta data-cookieconsent="analytics" http-equiv="refresh"'
        ' data-cookieconsent-content="0;url=http://leak.test/m">'
    )


@pytest.mark.parametrize(
    "html",
    [
        "<p>a <![b</p><img src=/p.gif>",
        "<![ CDATA[ x ]]><img src=/p.gif>",
        "<![]><img src=/p.gif>",
        # Script text after inline SVG is read as markup (see the module).
        "<svg></svg><script>if (x<![].length) go()</script><img src=/p.gif>",
    ],
)
def test_content_the_tokenizer_gives_up_on_is_escaped_not_an_error(html, caplog):
    """``<![`` followed by anything but a keyword ``html.parser`` knows made it raise
    ``AssertionError`` (Python 3.11), and ``inert()`` with it: the page was a 500. Content the
    rewriter cannot read now goes out escaped, as text, with a warning naming the gate."""
    out = inert(html, SLUG)
    assert live(out) == [], out
    assert ' src="/p.gif"' not in out
    if out == escape(html):
        assert "consent_gate 'analytics' could not be read as HTML" in caplog.text
    else:  # a newer tokenizer reads "<![" as browsers do, a bogus comment
        assert 'data-cookieconsent-src="/p.gif"' in out


def test_content_holding_every_private_use_character_is_still_rewritten():
    """The stand-in for ``&`` is a character the content lacks: content holding all of
    U+E000 to U+F8FF (a visitor's comment shown in a gated widget, say) made ``inert()`` raise
    ``ValueError``. The supplementary private-use planes are tried next."""
    text = "".join(map(chr, range(0xE000, 0xF900)))
    out = inert(f'<img src="/p?a=1&amp;b=2">{text}&amp;', SLUG)
    assert (
        out
        == f'<img data-cookieconsent="analytics" data-cookieconsent-src="/p?a=1&amp;b=2">{text}&amp;'
    )


def test_content_without_a_free_stand_in_is_escaped(caplog, monkeypatch):
    """Were no private-use character free, the content goes out escaped, never live."""
    monkeypatch.setattr("cookieconsent.engine.gating._PRIVATE_USE", (range(0xE000, 0xE001),))
    out = inert('<img src="/p.gif">\ue000', SLUG)
    assert out == "&lt;img src=&quot;/p.gif&quot;&gt;\ue000"
    assert "no private-use character is free" in caplog.text


@given(fragments)
@settings(max_examples=200, deadline=None)
def test_content_gated_twice_waits_for_both_categories(html):
    """A gate inside a gate: every element the inner one made inert waits for both."""
    twice = inert(inert(html, "functional"), SLUG)
    assert live(twice) == []
    for tag, attrs in Tags(twice).tags:
        if tag == "script" or any(name.startswith(PREFIX) for name in attrs):
            assert {"functional", SLUG} <= set((attrs.get(MARKER) or "").split()), (html, twice)
