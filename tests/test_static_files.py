"""What a visitor's browser downloads: the page loads ``cookieconsent.min.js`` and
``cookieconsent.min.css``, which are ``cookieconsent.js`` and ``cookieconsent.css`` (shipped
beside them for reading) through rjsmin and rcssmin, and every file stays within its gzipped
budget (``python benchmarks/sizes.py`` prints the same figures)."""

from __future__ import annotations

import gzip
from pathlib import Path

import rcssmin
import rjsmin
from django.template import Context, Template
from django.test import RequestFactory

STATIC = Path(__file__).resolve().parent.parent / "cookieconsent" / "static" / "cookieconsent"
#: File name → budget in bytes, gzipped (``benchmarks/sizes.py`` prints against the same).
BUDGETS = {
    "cookieconsent.min.js": 3 * 1024,
    "cookieconsent.min.css": 2 * 1024,
    "consent-mode.js": 1024,
}


def gzipped_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def test_the_minified_script_is_the_source_through_rjsmin():
    source = (STATIC / "cookieconsent.js").read_text()
    minified = (STATIC / "cookieconsent.min.js").read_text()
    assert minified == rjsmin.jsmin(source), "cookieconsent.min.js is stale: run `make static`"
    assert len(minified) < len(source) * 0.75


def test_the_minified_stylesheet_is_the_source_through_rcssmin():
    source = (STATIC / "cookieconsent.css").read_text()
    minified = (STATIC / "cookieconsent.min.css").read_text()
    assert minified == rcssmin.cssmin(source), "cookieconsent.min.css is stale: run `make static`"
    assert len(minified) < len(source) * 0.75


def test_each_file_the_browser_downloads_is_within_its_budget():
    sizes = {name: gzipped_size(STATIC / name) for name in BUDGETS}
    assert {name: size for name, size in sizes.items() if size > BUDGETS[name]} == {}


def test_the_script_tag_loads_the_minified_script(db):
    request = RequestFactory().get("/")
    html = Template("{% load cookieconsent %}{% cookieconsent_script %}").render(
        Context({"request": request})
    )
    assert html.startswith('<script src="/static/cookieconsent/cookieconsent.min.js" defer ')


def test_the_head_tag_loads_the_minified_stylesheet(db):
    request = RequestFactory().get("/")
    html = Template("{% load cookieconsent %}{% cookieconsent_head %}").render(
        Context({"request": request})
    )
    assert '<link rel="stylesheet" href="/static/cookieconsent/cookieconsent.min.css">' in html
    assert "cookieconsent.css" not in html
