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


def test_the_settings_page_gives_durations_and_flags_in_words():
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        from cookieconsent_docs import settings_markdown
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    text = "\n".join(settings_markdown())
    assert f"| {{confval}}`CONSENT_MAX_AGE` | `{365 * 24 * 3600}` (1 year) |" in text
    assert f":default: `{182 * 24 * 3600}` (182 days)" in text  # REFUSAL_MAX_AGE
    assert "| {confval}`REGISTRY_STALENESS` | `5` (5 seconds) |" in text
    assert "| {confval}`RECORD_RETENTION` | `None` (off) |" in text
    assert "| {confval}`HONOUR_GPC` | `True` (on) |" in text
    assert "| {confval}`USER_AGENT_MAX_LENGTH` | `300` |" in text  # a number, not a duration


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


def _own_options(name: str) -> list[str]:
    """The option strings and positional names a command adds to Django's common ones."""
    from django.core.management import load_command_class
    from django.core.management.base import BaseCommand

    common = {
        option
        for action in BaseCommand().create_parser("manage.py", "x")._actions
        for option in action.option_strings
    }
    parser = load_command_class("cookieconsent", name).create_parser("manage.py", name)
    found = []
    for action in parser._actions:
        if not action.option_strings:
            found.append(action.metavar or action.dest)
        found += [option for option in action.option_strings if option not in common]
    return found


def test_the_commands_page_lists_every_command_and_option():
    from django.core.management import find_commands

    commands = find_commands(str(ROOT / "cookieconsent" / "management"))
    assert "cookieconsent_publish" in commands  # the scan finds them
    page = (DOCS / "commands.md").read_text()
    sections = dict(re.findall(r"^## (\S+)\n(.*?)(?=^## |\Z)", page, re.MULTILINE | re.DOTALL))
    assert sorted(set(commands) - set(sections)) == [], "document these in docs/commands.md"
    assert sorted(set(sections) - set(commands)) == [], "docs/commands.md lists gone commands"
    for name in commands:
        missing = [o for o in _own_options(name) if f"`{o}" not in sections[name]]
        assert missing == [], f"document these options of {name} in docs/commands.md"
    assert _own_options("cookieconsent_scan")[:2] == ["URL", "--base-url"]


def test_the_api_reference_covers_the_public_api():
    import cookieconsent.models
    import cookieconsent.publishing
    import cookieconsent.signals

    page = (DOCS / "api.md").read_text()
    for module in (cookieconsent.models, cookieconsent.publishing, cookieconsent.signals):
        missing = [n for n in module.__all__ if f"{module.__name__}.{n}" not in page]
        assert missing == [], f"add these to docs/api.md: {missing}"
    assert ".. automodule:: cookieconsent.testing\n   :members:" in page  # its __all__
    tags = re.findall(r"^\.\. autofunction:: cookieconsent\.templatetags\.cookieconsent\.(\w+)$",
                      page, re.MULTILINE)  # fmt: skip
    from cookieconsent.templatetags.cookieconsent import register

    assert sorted(tags) == sorted([*register.tags, *register.filters])


#: Pages for site staff: what they do, not how the code does it.
STAFF_PAGES = ("staff.md", "admin.md", "publishing.md", "proof.md", "console.md")
INTERNALS = re.compile(
    r"upsert|savepoint|closer|transaction|trigger|TypeError|iterator\(|on conflict|_base_manager",
    re.IGNORECASE,
)


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_pages_keep_to_what_staff_do(name):
    assert INTERNALS.findall((DOCS / name).read_text()) == []


def test_pages_name_only_real_checks_and_commands():
    from django.core.management import find_commands

    commands = set(find_commands(str(ROOT / "cookieconsent" / "management")))
    for page in PAGES:
        text = page.read_text()
        named = set(re.findall(r"manage\.py (cookieconsent_\w+)", text))
        assert sorted(named - commands) == [], page.name
        ids = set(re.findall(r"cookieconsent\.[EW]\d{3}", text)) - {"cookieconsent.E005"}
        assert sorted(ids - check_ids_in_code()) == [], page.name


def test_the_troubleshooting_page_gives_the_signals_defaults():
    page = (DOCS / "troubleshooting.md").read_text()
    said = {
        "HONOUR_GPC": "is honoured by default (`HONOUR_GPC`)" in page,
        "HONOUR_DNT": 'is ignored unless `"HONOUR_DNT": True`' in page,
    }
    assert said == {"HONOUR_GPC": DEFAULTS["HONOUR_GPC"], "HONOUR_DNT": not DEFAULTS["HONOUR_DNT"]}


def test_the_theming_page_names_every_custom_property_the_stylesheet_reads():
    css = (ROOT / "cookieconsent" / "static" / "cookieconsent" / "cookieconsent.css").read_text()
    read = set(re.findall(r"var\((--cc-[\w-]+)", css))
    assert {"--cc-bg", "--cc-dark-bg", "--cc-h"} <= read
    page = (DOCS / "theming.md").read_text()
    assert sorted(p for p in read if f"`{p}`" not in page) == []
    for picture in re.findall(r"\]\((screenshots/[^)]+)\)", page):
        assert (DOCS / picture).exists(), picture
