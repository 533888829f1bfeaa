"""Hypothesis strategies the tests share: HTML fragments built to trip a tokenizer."""

from __future__ import annotations

from hypothesis import strategies as st

#: Where generated fragments try to load from; nothing may ever ask for it.
LEAK = "http://leak.test/"

TAG_NAMES = [
    "img", "IMG", "iframe", "script", "SCRIPT", "video", "audio", "source", "track", "link",
    "object", "embed", "input", "image", "svg", "math", "textarea", "title", "style",
    "noscript", "xmp", "template", "picture", "div", "p", "table", "td", "frame", "body",
    "foreignObject", "use", "feImage", "set", "animate", "meta",
]  # fmt: skip
ATTR_NAMES = [
    "src", "SRC", "srcset", "href", "xlink:href", "data", "poster", "background", "onerror",
    "onload", "type", "title", "data-x", "srcdoc", "rel", "data-type", "data-cookieconsent",
    "to", "values", "content",
]  # fmt: skip
SEPARATORS = [" ", "/", "\t", "\n", "\x0c", "", "  ", " / "]
JUNK = [
    "text", " ", "<", ">", "&", "&amp;", "&region=", "<!--", "-->", "--!>", "<!-->", "<!--->",
    "<![CDATA[", "]]>", "<![x>", "<!x>", "<?x>", "</ x>", "</>", "</script x>", "</script>",
    "</textarea>", "</title>", "</svg>", "</style>", "</iframe>", "'", '"', "=", "\x00",
    "<script>leak()</script>",
]  # fmt: skip


@st.composite
def values(draw: st.DrawFn) -> str:
    url = LEAK + str(draw(st.integers(0, 99)))
    raw = draw(st.sampled_from([url, f"{url} 1x", "leak()", "module", "stylesheet", "a>b", "x"]))
    extra = draw(st.sampled_from(["", ">", "<", '"', "'", "&", "=", " "]))
    quote = draw(st.sampled_from(['"', "'", ""]))
    return f"{quote}{raw}{extra}{quote}" if quote != extra else f"{quote}{raw}{quote}"


@st.composite
def start_tags(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(TAG_NAMES))
    parts = [f"<{name}"]
    for _ in range(draw(st.integers(0, 4))):
        parts.append(draw(st.sampled_from(SEPARATORS)))
        parts.append(draw(st.sampled_from(ATTR_NAMES)))
        if draw(st.booleans()):
            parts.append(draw(st.sampled_from(["=", " = ", "=="])) + draw(values()))
    parts.append(draw(st.sampled_from([">", "/>", " >", ""])))
    return "".join(parts)


fragments = st.lists(
    st.one_of(
        start_tags(),
        st.sampled_from(JUNK),
        st.sampled_from(TAG_NAMES).map(lambda n: f"</{n}>"),
    ),
    min_size=1,
    max_size=12,
).map("".join)
