"""The tutorial (docs/tutorial.md), replayed as written on a new ``startproject`` site.

A fresh virtual environment on the newest Python pyenv has, the wheel ``make wheel`` builds, the
newest Django pip finds, every console command and every file of the page in order; then
Chromium checks that the banner is styled, that the declared-but-refused ``_ga`` and the
undeclared ``_gcl_au`` are stripped, and that accepting lets ``_ga`` through. Slow (a venv and
pip): ``-m "not newcomer"`` leaves it out locally; CI's ``make test`` runs it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cookieconsent.console.browser import BROWSER_ARGS

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.md"
CHECKOUT = "/path/to/cookieconsent"
PYENV = Path.home() / ".pyenv" / "versions"
ARTIFACTS = ROOT / "artifacts"
WIDTH, HEIGHT = 1000, 600
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
# The flags this machine's Chromium needs: the scanner's own, one list for every launch.
CHROMIUM_ARGS = list(BROWSER_ARGS)


def _missing() -> str | None:
    if CHROMIUM is None:
        return "Chromium is not installed (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the browser extra is not installed: pip install '.[browser]'"
    return None


@dataclass
class Step:
    kind: str  # "console" or "file"
    text: str
    path: str = ""
    append: bool = False


_FENCE = re.compile(r"^```(\{[\w-]+\})? ?(\S*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


def tutorial_steps(markdown: str) -> list[Step]:
    """The page's console blocks and files, in order."""
    steps = []
    for match in _FENCE.finditer(markdown):
        directive, lang, body = match.groups()
        if lang == "console":
            steps.append(Step("console", body))
        elif directive:
            caption = re.search(r"^:caption: (\S+)( \(add at the end\))?$", body, re.MULTILINE)
            assert caption, f"a {directive} without a file caption:\n{body}"
            if directive == "{literalinclude}":
                text = (TUTORIAL.parent / lang).read_text()
            else:
                text = body.split("\n\n", 1)[1]
            steps.append(Step("file", text, caption.group(1), bool(caption.group(2))))
    return steps


def commands(console: str) -> list[str]:
    """Each ``$ `` line with its continuation lines (a here-document) as one command."""
    found: list[str] = []
    for line in console.splitlines():
        if line.startswith("$ "):
            found.append(line[2:])
        else:
            found[-1] += "\n" + line
    return found


def newest_python() -> Path | None:
    for version in ("3.13", "3.12"):
        candidates = sorted(PYENV.glob(f"{version}.*/bin/python"))
        if candidates:
            return candidates[-1]
    found = shutil.which("python3")
    return Path(found) if found and sys.version_info >= (3, 12) else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Replay:
    """A shell's worth of state: the working directory and the active virtualenv."""

    def __init__(self, home: Path, python: Path) -> None:
        self.cwd = home
        self.python = python
        self.env = dict(os.environ)
        for name in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONDEVMODE"):
            self.env.pop(name, None)
        self.server: subprocess.Popen[str] | None = None
        self.url = ""

    def run(self, command: str) -> None:
        command = command.replace(CHECKOUT, str(ROOT))
        if command.startswith("python3 -m venv "):
            command = command.replace("python3", str(self.python), 1)
        if match := re.fullmatch(r"\. (\S+)/bin/activate", command):
            venv = self.cwd / match.group(1)
            self.env["VIRTUAL_ENV"] = str(venv)
            self.env["PATH"] = f"{venv}/bin:{self.env['PATH']}"
            return
        if match := re.fullmatch(r"cd (\S+)", command):
            self.cwd = self.cwd / match.group(1)
            return
        if command == "python manage.py runserver":
            self.start_server()
            return
        started = time.monotonic()
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", command],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, f"$ {command}\n{done.stdout}\n{done.stderr}"
        print(f"{time.monotonic() - started:6.1f} s  $ {command.splitlines()[0]}")

    def write(self, step: Step) -> None:
        path = self.cwd / step.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if step.append:
            assert path.exists(), f"{step.path} should exist to be added to"
            path.write_text(path.read_text() + "\n" + step.text)
        else:
            path.write_text(step.text)

    def start_server(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.server = subprocess.Popen(
            ["python", "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        for _ in range(200):
            try:
                urllib.request.urlopen(self.url + "/cookies/status/", timeout=1)
                return
            except OSError:
                assert self.server.poll() is None, self.server.communicate()[0]
                time.sleep(0.1)
        raise AssertionError("runserver did not answer")

    def stop(self) -> str:
        if self.server is None:
            return ""
        os.killpg(self.server.pid, signal.SIGTERM)
        return self.server.communicate(timeout=10)[0]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    """The tutorial's site, replayed once for the module's slow tests."""
    reason = _missing()
    if reason is not None:
        if os.environ.get("COOKIECONSENT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"COOKIECONSENT_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    python = newest_python()
    if python is None:
        pytest.skip("no Python 3.12 or newer for the fresh virtualenv")
    replay = Replay(tmp_path_factory.mktemp("tutorial"), python)
    try:
        for step in tutorial_steps(TUTORIAL.read_text()):
            if step.kind == "console":
                for command in commands(step.text):
                    replay.run(command)
            else:
                replay.write(step)
        yield replay
    finally:
        replay.stop()


def test_the_tutorial_has_the_steps_this_test_knows():
    steps = tutorial_steps(TUTORIAL.read_text())
    files = [s.path for s in steps if s.kind == "file"]
    assert files == [
        "mysite/settings.py",
        "mysite/views.py",
        "mysite/urls.py",
        "templates/base.html",
        "templates/home.html",
        "mysite/tests.py",
    ]
    runs = [c for s in steps if s.kind == "console" for c in commands(s.text)]
    assert runs[-2:] == ["python manage.py runserver", "python manage.py test"]
    assert f"{CHECKOUT}/dist/cookieconsent-*.whl" in runs[3]


def test_every_install_sample_is_in_the_tutorial():
    """The README's install section and the installation page show the tutorial's own files,
    so replaying the tutorial runs them too."""
    tutorial = TUTORIAL.read_text()
    install = (ROOT / "docs" / "installation.md").read_text()
    for step in tutorial_steps(install):
        if step.kind == "file":
            assert step.text in tutorial, step.path
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Install", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```(?:python|django)\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    named = 0
    for block in blocks:
        first, body = block.split("\n", 1)
        # The first line names the file: "# mysite/urls.py", "{# templates/base.html: … #}".
        if re.match(r"(# |\{# )[\w/]+\.(py|html)\b", first):
            named += 1
            assert body in tutorial, block
    assert named >= 3


def shoot(page: Any, name: str) -> None:
    """A screenshot in artifacts/; with COOKIECONSENT_UPDATE_SCREENSHOTS=1 also the docs' copy."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png")
    if os.environ.get("COOKIECONSENT_UPDATE_SCREENSHOTS") == "1":
        shutil.copy(ARTIFACTS / f"{name}.png", SCREENSHOTS / f"{name}.png")


def cookie_names(context: Any) -> set[str]:
    return {c["name"] for c in context.cookies()}


@pytest.mark.newcomer
@pytest.mark.browser
def test_replay_the_tutorial_on_a_new_site(replayed: Replay) -> None:
    from playwright.sync_api import sync_playwright

    # The newest Django, as the page promises.
    version = subprocess.run(
        ["python", "-m", "django", "--version"],
        env=replayed.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    newest = subprocess.run(
        ["python", "-m", "pip", "index", "versions", "django"],
        env=replayed.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert newest.splitlines()[0] == f"django ({version})", newest

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        # A small window: the screenshots stay legible at the docs' column width.
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto(replayed.url + "/")

        banner = page.locator("#cookieconsent-banner")
        assert banner.is_visible()
        style = banner.evaluate(
            "el => { const s = getComputedStyle(el); "
            "return {position: s.position, bottom: s.bottom, zIndex: s.zIndex}; }"
        )
        assert style["position"] == "fixed", style
        assert style["bottom"] == "0px", style
        box = banner.bounding_box()
        assert box is not None and box["y"] + box["height"] == pytest.approx(HEIGHT, abs=1)
        # Declared but not allowed, and undeclared: neither reached the browser.
        assert not cookie_names(context) & {"_ga", "_gcl_au"}
        assert page.evaluate("document.body.dataset.analytics") is None
        shoot(page, "tutorial-banner")

        page.get_by_role("button", name="Accept all").click()
        page.wait_for_function("document.body.dataset.analytics === 'on'")
        assert banner.is_hidden()
        page.goto(replayed.url + "/")
        names = cookie_names(context)
        assert "_ga" in names
        assert "_gcl_au" not in names
        assert not page.locator("#cookieconsent-banner").count()

        # Cookie settings: the preferences in a dialog; the site declares a required category.
        page.get_by_role("link", name="Cookie settings").click()
        dialog = page.get_by_role("dialog")
        dialog.wait_for()
        assert "Strictly necessary cookies are always on" in dialog.inner_text()
        page.wait_for_timeout(300)  # the dialog's fade-in
        shoot(page, "tutorial-preferences")

        # The policy page, in the site's layout (BASE_TEMPLATE).
        # Published in the tutorial: a 404 would show the banner's configuration, naming the
        # categories, too; the cookie table names the cookie.
        policy = page.goto(replayed.url + "/cookies/policy/")
        assert policy is not None and policy.status == 200
        assert page.title() == "Cookie Policy · My site"
        assert page.locator("nav a", has_text="Home").count() == 1
        table = page.locator("main table").inner_text()
        assert "_ga" in table
        # As the view sets it: for two years, on the site's own domain (left out, the policy
        # told visitors _ga was a third party's session cookie).
        assert "2 years" in table and "Session" not in table and "Third-party" not in table

        # Staff keep the cookie table in the admin: the category with its cookies inline.
        page.goto(replayed.url + "/admin/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "change-me")
        page.get_by_role("button", name="Log in").click()
        page.locator("#user-tools").wait_for()
        page.goto(replayed.url + "/admin/cookieconsent/cookiecategory/")
        page.get_by_role("link", name="Analytics").click()
        page.wait_for_url("**/change/")
        assert page.locator("input[value='_ga']").count() == 1
        page.set_viewport_size({"width": 1280, "height": 900})
        shoot(page, "tutorial-admin")
        browser.close()


@pytest.mark.newcomer
def test_installing_a_checkout_leaves_it_clean_and_prints_no_warning_box(
    replayed: Replay, tmp_path: Path
) -> None:
    """``pip install .`` leaves no ``build/`` or ``*.egg-info`` in the checkout, and neither it
    nor an editable install prints setuptools' "Editable installation" box (issue #13)."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    checkout = tmp_path / "cookieconsent"
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, checkout / name)
    before = sorted(p.name for p in checkout.iterdir())
    for args in (["install", "--no-deps", "."], ["install", "--no-deps", "-e", "."]):
        done = subprocess.run(
            ["python", "-m", "pip", *args],
            cwd=checkout,
            env=replayed.env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, output
        assert "Editable installation" not in output
        assert "Please be careful" not in output
        assert sorted(p.name for p in checkout.iterdir()) == before, args
