"""Sphinx configuration of the cookieconsent documentation (MyST Markdown, the furo theme).

``make docs`` builds it with warnings as errors. The settings page is generated from
``cookieconsent.conf`` by ``_ext/cookieconsent_docs.py``, so the two cannot drift.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import django
from django.conf import settings

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path[:0] = [str(ROOT), str(DOCS / "_ext")]

# Enough Django for the extension to import the app's modules.
if not settings.configured:
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "cookieconsent"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        USE_TZ=True,
    )
    django.setup()

project = "cookieconsent"
author = "The cookieconsent developers"
copyright = "the cookieconsent developers"
release = version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

extensions = ["myst_parser", "cookieconsent_docs"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_samples", "README.md"]

html_theme = "furo"
html_title = "cookieconsent"
html_static_path = ["_static"]
html_css_files = ["cookieconsent.css"]
html_show_sourcelink = False
html_theme_options = {"navigation_with_keys": True}
