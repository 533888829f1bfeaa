"""Sphinx configuration of the cookieconsent documentation (MyST Markdown, the furo theme).

``make docs`` builds it with warnings as errors. The settings page is generated from
``cookieconsent.conf`` by ``_ext/cookieconsent_docs.py``, so the two cannot drift.
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import django

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path[:0] = [str(ROOT), str(DOCS / "_ext")]

# Enough Django for the extension and autodoc to import the app's modules.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docs_settings")
django.setup()

project = "cookieconsent"
author = "The cookieconsent developers"
copyright = "the cookieconsent developers"
release = version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

extensions = ["myst_parser", "sphinx.ext.autodoc", "cookieconsent_docs"]
# The API reference (api.md) is generated from the docstrings.
autodoc_member_order = "bysource"
autodoc_default_options = {"exclude-members": "DoesNotExist, MultipleObjectsReturned"}
# Django's and Python's own classes have no page here (no intersphinx: the build stays offline).
nitpick_ignore_regex = [
    ("py:class", r"(django|collections|datetime|typing|contextlib|_io)\..*"),
    ("py:class", r"(HttpRequest|HttpResponseBase|Context|SafeString|Signal|QuerySet)"),
    # Internal types a public signature mentions; they are not part of the API.
    ("py:class", r"(cookieconsent\.\S+\.)?(Registry|ConsentGateNode)"),
]
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
