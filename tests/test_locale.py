"""The Afrikaans catalogue the app ships: every message of the code and templates in it,
translated, and compiled as it reads.

Gathering the messages takes GNU gettext's ``xgettext`` (Debian's ``gettext``), as
``make messages`` does; CI installs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cookieconsent"
CATALOGUE = PACKAGE / "locale" / "af" / "LC_MESSAGES"


def _entries(po: Path, *flags: str) -> str:
    """The entries of ``po`` that ``msgattrib`` picks with these flags, as PO text."""
    done = subprocess.run(
        ["msgattrib", *flags, "--no-wrap", str(po)], capture_output=True, text=True, check=True
    )
    return done.stdout


NO_GETTEXT = "GNU gettext is not installed (apt-get install gettext)"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason=NO_GETTEXT)
def test_every_message_of_the_app_is_translated_into_afrikaans(tmp_path: Path) -> None:
    copy = tmp_path / "cookieconsent"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "af", "--no-obsolete"],
        cwd=copy,
        env=env,
        capture_output=True,
        check=True,
    )
    po = copy / "locale" / "af" / "LC_MESSAGES" / "django.po"
    untranslated = _entries(po, "--untranslated")
    fuzzy = _entries(po, "--only-fuzzy")
    assert "msgid" not in untranslated, f"make messages, then translate:\n{untranslated}"
    assert "msgid" not in fuzzy, f"guessed by make messages, to translate:\n{fuzzy}"


def test_the_compiled_catalogue_is_the_one_written(tmp_path: Path) -> None:
    """``django.mo`` holds exactly the translations of ``django.po`` (``make messages``
    compiles it)."""
    if shutil.which("msgfmt") is None:
        pytest.skip(NO_GETTEXT)
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(CATALOGUE / "django.po")], check=True)

    def read(mo: Path) -> str:
        return subprocess.run(
            ["msgunfmt", str(mo)], capture_output=True, text=True, check=True
        ).stdout

    assert read(CATALOGUE / "django.mo") == read(fresh)
