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
    run = subprocess.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True)
    assert "runserver 127.0.0.1:8000" in run.stdout
