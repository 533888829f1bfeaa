"""The demo a newcomer starts with ``make demo``: it takes a port, and has an icon."""

from __future__ import annotations

import subprocess
from pathlib import Path

from django.contrib.staticfiles import finders

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_demo_has_an_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/fluxems/favicon.svg"
    assert finders.find("fluxems/favicon.svg") is not None
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/fluxems/favicon.svg"' in html


def test_make_demo_takes_a_port():
    run = subprocess.run(
        ["make", "-n", "demo", "PORT=8123"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "runserver 127.0.0.1:8123" in run.stdout
    # The admin link it prints names the same port.
    assert "demo_user --base-url http://127.0.0.1:8123" in run.stdout
    run = subprocess.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True)
    assert "runserver 127.0.0.1:8000" in run.stdout


def test_make_demo_installs_only_what_the_demo_needs():
    # -B: every step, as on a fresh clone, whatever this checkout has installed already.
    run = subprocess.run(["make", "-n", "-B", "demo"], cwd=ROOT, capture_output=True, text=True)
    installs = [line for line in run.stdout.splitlines() if "pip install" in line]
    assert any('-e ".[example]"' in line for line in installs), installs
    assert not any("test" in line or "browser" in line for line in installs), installs
