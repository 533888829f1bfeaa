"""Sphinx extension for the cookieconsent docs.

- ``{cookieconsent-settings}``: one ``confval`` per key of ``COOKIECONSENT``, generated from
  ``cookieconsent.conf`` (its ``SETTINGS`` spec where there is one, else ``DEFAULTS`` with
  the types the checks hold), so the page cannot drift from the code.
- ``{cookieconsent-model} Name``: the editable fields of a model, with their help texts.
- Unlisted pages: every ``docs/*.md`` that no toctree of the home page lists is added where it
  says ``<!-- feature pages -->``, so a new page is never orphaned.
- The API reference (autodoc): a model is shown without its ``(*args, **kwargs)`` signature and
  with a list of its fields; a template tag is shown as it is written in a template.
- ``SECURITY.md`` of the repository is included on the security page (marked
  ``<!-- SECURITY.md -->``) when the file exists.
"""

from __future__ import annotations

import inspect
import pprint
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

DOCS = Path(__file__).resolve().parent.parent
ROOT = DOCS.parent


def settings_spec() -> list[dict[str, Any]]:
    """Every setting as name, default, types, choices and meaning."""
    from cookieconsent import conf

    return [
        {
            "name": s.name,
            "default": s.default,
            "types": s.types,
            "choices": s.choices,
            "doc": s.doc,
        }
        for s in conf.SETTINGS
    ]


def _type_names(types: tuple[type, ...]) -> str:
    return " or ".join("None" if t is type(None) else t.__name__ for t in types)


def _is_duration(setting: dict[str, Any]) -> bool:
    """A length of time: a ``timedelta`` is accepted, or the meaning opens with "Seconds"."""
    return timedelta in setting["types"] or setting["doc"].startswith("Seconds")


def default_in_words(setting: dict[str, Any]) -> str:
    """The default as code, and beside it in words where a number or a flag says little:
    ``31536000`` (1 year), ``False`` (off)."""
    from django.utils import translation

    from cookieconsent.lifetimes import format_lifetime

    default = setting["default"]
    code = f"`{pprint.pformat(default, width=200)}`"
    if isinstance(default, bool):
        return f"{code} (on)" if default else f"{code} (off)"
    if _is_duration(setting):
        if default is None:
            return f"{code} (off)"
        seconds = default.total_seconds() if isinstance(default, timedelta) else default
        with translation.override("en"):
            return f"{code} ({format_lifetime(timedelta(seconds=seconds))})"
    return code


def settings_markdown() -> list[str]:
    spec = settings_spec()
    # An overview first, then each setting in full.
    lines = ["| setting | default |", "|---|---|"]
    for s in spec:
        default = default_in_words(s).replace("|", "\\|")
        lines.append(f"| {{confval}}`{s['name']}` | {default} |")
    lines.append("")
    for s in spec:
        lines += [
            f"```{{confval}} {s['name']}",
            f":type: `{_type_names(s['types'])}`",
            f":default: {default_in_words(s)}",
            "",
            s["doc"] or "(See the code: `cookieconsent/conf.py`.)",
        ]
        if s["choices"]:
            lines += ["", "One of " + ", ".join(f"`{c!r}`" for c in s["choices"]) + "."]
        lines += ["```", ""]
    return lines


class SettingsDirective(SphinxDirective):
    """``{cookieconsent-settings}``: the generated settings reference."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        container = nodes.container()
        self.state.nested_parse(settings_markdown(), self.content_offset, container)
        return container.children


def _escape(text: str) -> str:
    """Help text is plain text: keep Markdown from reading ``_ga_*`` as emphasis."""
    return re.sub(r"([\\`*_|\[\]<>])", r"\\\1", text)


class ModelFieldsDirective(SphinxDirective):
    """``{cookieconsent-model} CookieCategory``: the fields staff fill in, from the model."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        from django.apps import apps

        model = apps.get_model("cookieconsent", self.arguments[0])
        lines = ["| field | what it holds |", "|---|---|"]
        for field in model._meta.get_fields():
            if not getattr(field, "editable", False) or field.auto_created:
                continue
            help_text = str(getattr(field, "help_text", "") or "")
            choices = getattr(field, "choices", None)
            if choices:
                help_text += " One of: " + ", ".join(str(label) for _, label in choices) + "."
            name = str(field.verbose_name)
            lines.append(f"| {name[:1].upper() + name[1:]} | {_escape(help_text.strip())} |")
        container = nodes.container()
        self.state.nested_parse(lines, self.content_offset, container)
        return container.children


def _field_lines(model: Any) -> list[str]:
    """reST lines listing a model's fields: name, kind, verbose name and help text."""
    lines = ["", ":Fields:"]
    for field in model._meta.get_fields():
        if field.auto_created:
            continue  # the primary key, or a reverse relation (documented where it comes from)
        kind = type(field).__name__
        if field.is_relation and field.related_model is not None:
            kind += f" to ``{field.related_model.__name__}``"
        text = str(getattr(field, "verbose_name", "") or "")
        help_text = str(getattr(field, "help_text", "") or "")
        about = text[:1].upper() + text[1:] + (f". {help_text}" if help_text else "")
        lines.append(f"   - ``{field.name}`` ({kind}): {about.rstrip('.')}.")
    return lines


def _tag_usage(name: str, obj: Any) -> str | None:
    """How a tag or filter of ``{% load cookieconsent %}`` is written in a template."""
    from cookieconsent.templatetags.cookieconsent import register

    if register.filters.get(name) is obj:
        return f'``{{% if request|{name}:"analytics" %}}``'
    if name not in register.tags:
        return None
    params = [
        p
        for p in inspect.signature(obj).parameters.values()
        if p.name not in ("context", "parser", "token")
    ]
    args = "".join(
        f' [{p.name}="…"]' if p.default is not p.empty else f' "{p.name}"' for p in params
    )
    if name == "consent_gate":
        return '``{% consent_gate "analytics" %}…{% endconsent_gate %}``'
    return f"``{{% {name}{args} %}}``"


def _is_model(obj: Any) -> bool:
    from django.db import models

    return isinstance(obj, type) and issubclass(obj, models.Model)


#: Classes the app makes for the site, never the other way round: no constructor to show.
_MADE_BY_THE_APP = {"cookieconsent.engine.consent.Consent"}


def _process_signature(
    app: Sphinx,
    what: str,
    name: str,
    obj: Any,
    options: Any,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str, str | None] | None:
    if what == "class" and (_is_model(obj) or name in _MADE_BY_THE_APP):
        return "", None  # Django's (*args, **kwargs) says nothing; nor does an internal one
    if what == "function" and name.startswith("cookieconsent.templatetags."):
        return "", None  # shown as written in a template instead
    return None


def _process_docstring(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    if what == "class" and _is_model(obj) and not obj._meta.abstract:
        lines.extend(_field_lines(obj))
    elif what == "function" and name.startswith("cookieconsent.templatetags."):
        usage = _tag_usage(name.rsplit(".", 1)[1], obj)
        if usage is not None and not any("{%" in line for line in lines[:1]):
            lines[:0] = [usage, ""]


_TOCTREE = re.compile(r"^```\{toctree\}\n(.*?)^```", re.MULTILINE | re.DOTALL)


def feature_pages(srcdir: Path, index: str) -> list[str]:
    """Pages no toctree of the home page lists, by name: a new page is never orphaned."""
    listed = {
        line.strip()
        for body in _TOCTREE.findall(index)
        for line in body.splitlines()
        if line.strip() and not line.startswith((":", "<!--"))
    }
    return sorted({p.stem for p in srcdir.glob("*.md")} - listed - {"index"})


def _source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname == "index" and "<!-- feature pages -->" in source[0]:
        entries = "\n".join(feature_pages(Path(app.srcdir), source[0]))
        source[0] = source[0].replace("<!-- feature pages -->", entries)
    elif docname == "security" and "<!-- SECURITY.md -->" in source[0]:
        policy = ROOT / "SECURITY.md"
        if policy.exists():
            # One heading level down, under the page's own title.
            text = "\n".join(
                "#" + line if line.startswith("#") else line
                for line in policy.read_text().splitlines()
            )
        else:
            text = (
                "## Reporting a vulnerability\n\n"
                "Report a vulnerability privately to the maintainers, not in a public issue."
            )
        source[0] = source[0].replace("<!-- SECURITY.md -->", text)


def _reread_index(
    app: Sphinx, env: Any, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Pages generated from the code or from which pages exist: read them again on every
    build, so an incremental build cannot show a stale copy."""
    return ["index", "settings", "staff", "security"]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("cookieconsent-settings", SettingsDirective)
    app.add_directive("cookieconsent-model", ModelFieldsDirective)
    app.connect("source-read", _source_read)
    app.connect("autodoc-process-signature", _process_signature)
    app.connect("autodoc-process-docstring", _process_docstring)
    app.connect("env-get-outdated", _reread_index)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
