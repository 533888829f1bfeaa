"""What the two browser commands (``cookieconsent_scan``, ``cookieconsent_audit``) share: the
pages to visit, where the site runs, and the browser's options, read and checked one way."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.core.management.base import CommandError, CommandParser

from cookieconsent.management import USAGE


def add_arguments(parser: CommandParser, *, verb: str, timeout_help: str) -> None:
    """``URL ...``, ``--base-url``, ``--browser`` and ``--timeout`` (its help: what a page
    that takes too long becomes)."""
    parser.add_argument("urls", nargs="*", metavar="URL", help=f"Pages (or paths) to {verb}.")
    parser.add_argument(
        "--base-url",
        default="http://localhost:8000",
        help="Where the site runs, for paths and the sitemap (default %(default)s).",
    )
    parser.add_argument(
        "--browser", help="Chromium executable (default: the SCANNER_BROWSER setting)."
    )
    parser.add_argument("--timeout", type=float, default=15.0, help=timeout_help)


def urls(options: dict[str, Any]) -> list[str]:
    """The pages asked for, made absolute against ``--base-url``, once ``--timeout``,
    ``--base-url`` and each page are checked; a usage error (``CommandError``, exit status
    ``USAGE``) names the first that is wrong."""
    timeout, base = options["timeout"], options["base_url"]
    if not (timeout > 0 and math.isfinite(timeout)):
        raise CommandError(f"--timeout {timeout:g} is not a positive number.", returncode=USAGE)
    if urlsplit(base).scheme not in ("http", "https"):
        raise CommandError(f"--base-url {base!r} is not an http(s) URL.", returncode=USAGE)
    found = [urljoin(base.rstrip("/") + "/", url) for url in options["urls"]]
    for url in found:
        if urlsplit(url).scheme not in ("http", "https"):
            raise CommandError(f"{url!r} is not an http(s) URL.", returncode=USAGE)
    return found
