"""The documentation tells the truth about the code: every Django template and Python sample
compiles (and renders, where it stands alone), every system check id is documented, the
settings page is generated from the settings the code reads, and the JavaScript page names the
script's real global. (`make docs` builds the site with warnings as errors; the tutorial is
replayed by tests/test_tutorial.py.)"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from django.template import Context, Template

from cookieconsent.conf import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted([ROOT / "README.md", *DOCS.glob("*.md")])
_FENCE = re.compile(
    r"^ *```(?:\{code-block\} )?(\S+)\n(?::caption:[^\n]*\n\n)?(.*?)^ *```",
    re.MULTILINE | re.DOTALL,
)


def samples(language: str) -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for lang, body in _FENCE.findall(page.read_text()):
            if lang in (language, f"html+{language}"):
                found.append((f"{page.name}: {body.splitlines()[0][:60]}", body))
    return found


@pytest.mark.parametrize(("where", "body"), samples("django"), ids=lambda v: v[:70])
def test_template_samples_compile_and_render(where, body, rf, categories):
    template = Template(body)  # an unloaded tag is a TemplateSyntaxError here
    if "{% extends" in body or "{% block" in body:
        return  # a page of the tutorial: tests/test_tutorial.py renders it on a real site
    request = rf.get("/")
    template.render(Context({"request": request}))


@pytest.mark.parametrize(("where", "body"), samples("python"), ids=lambda v: v[:70])
def test_python_samples_compile(where, body):
    compile(body, where, "exec")


def test_samples_were_found():
    assert len(samples("django")) >= 10
    assert len(samples("python")) >= 6


def check_ids_in_code() -> set[str]:
    ids: set[str] = set()
    for path in (ROOT / "cookieconsent").rglob("*.py"):
        ids |= set(re.findall(r"""id=["'](cookieconsent\.[EW]\d{3})["']""", path.read_text()))
    return ids


def test_every_check_id_is_documented():
    documented = set(
        re.findall(
            r"^\| `(cookieconsent\.[EW]\d{3})` \|", (DOCS / "checks.md").read_text(), re.MULTILINE
        )
    )
    in_code = check_ids_in_code()
    assert len(in_code) >= 9  # the scan finds them
    assert sorted(in_code - documented) == [], "document these in docs/checks.md"
    assert sorted(documented - in_code) == [], "docs/checks.md lists ids the code no longer has"


def test_the_settings_page_is_generated_from_the_code():
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        from cookieconsent_docs import settings_markdown
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    text = "\n".join(settings_markdown())
    generated = re.findall(r"^```\{confval\} (\w+)$", text, re.MULTILINE)
    assert generated == list(DEFAULTS)
    assert ":default: `'cookieconsent/layout.html'`" in text
    assert ":type: `str or None`" in text  # COOKIE_DOMAIN


def test_the_javascript_page_names_the_scripts_global():
    script = (ROOT / "cookieconsent" / "static" / "cookieconsent" / "cookieconsent.js").read_text()
    (name,) = re.findall(r"\(window\.(\w+) = \{", script)
    page = (DOCS / "javascript.md").read_text()
    assert f"window.{name}." in page
    assert set(re.findall(r"window\.(\w+)", page)) == {name}


def test_the_readmes_links_lead_somewhere():
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(((?!https?:)[^)#]+)", readme)
    assert len(targets) >= 10
    assert [t for t in targets if not (ROOT / t).exists()] == []


def test_the_theming_page_names_every_custom_property_the_stylesheet_reads():
    css = (ROOT / "cookieconsent" / "static" / "cookieconsent" / "cookieconsent.css").read_text()
    read = set(re.findall(r"var\((--cc-[\w-]+)", css))
    assert {"--cc-bg", "--cc-dark-bg", "--cc-h"} <= read
    page = (DOCS / "theming.md").read_text()
    assert sorted(p for p in read if f"`{p}`" not in page) == []
    for picture in re.findall(r"\]\((screenshots/[^)]+)\)", page):
        assert (DOCS / picture).exists(), picture
