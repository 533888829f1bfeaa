"""``manage.py cookieconsent_scan [URL ...]``: find the cookies and storage keys pages really
set, before and after “Accept all”, in headless Chromium. Exit status 0: scanned; 1: a page
failed (or, with ``--fail-on-undeclared``, something is undeclared); 2: the scan could not
run."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cookieconsent.console import browser, discovery, scanner
from cookieconsent.engine.registry import get_registry
from cookieconsent.lifetimes import format_lifetime
from cookieconsent.management import USAGE, browsing, counted
from cookieconsent.management.progress import Progress
from cookieconsent.models import CookieCategory, Sighting


class Command(BaseCommand):
    help = (
        "Open pages in headless Chromium as an undecided visitor and after accepting all, and "
        "report every cookie and storage key: undeclared ones, and anything not strictly "
        "necessary present before a choice. Without URLs, scans the site's sitemap."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        browsing.add_arguments(
            parser,
            verb="scan",
            timeout_help="Seconds each step of a page (loading, reading cookies and storage, "
            "the banner) may take; a page that takes longer is reported as failed.",
        )
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument(
            "--fail-on-undeclared",
            action="store_true",
            help="Exit with status 1 when anything undeclared is found (for CI).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        urls = browsing.urls(options)
        if not urls:
            urls = scanner.sitemap_urls(options["base_url"]) or []
            if not urls:
                raise CommandError(
                    "Nothing to scan: give URLs, or add a sitemap (django.contrib.sitemaps) "
                    "to the site's URLconf.",
                    returncode=USAGE,
                )
        registry = get_registry()  # before the browser starts: see scanner.scan()
        progress = Progress(len(urls), self.stderr, label="Scanning ")
        try:
            reports = scanner.scan(
                urls,
                registry,
                executable=options["browser"],
                timeout=options["timeout"],
                on_page=lambda report: progress.advance(),
            )
        except browser.BrowserError as exc:  # no browser to run (a page's error is its own)
            raise CommandError(str(exc), returncode=USAGE) from None
        finally:
            progress.close()
        # The browser is closed: the database may be read again.
        scanner.suggest(reports, list(CookieCategory.objects.all()))
        for report in reports:
            path = urlsplit(report.url).path or "/"
            discovery.record_many(
                ((f.name, f.technology, f.max_age) for f in report.undeclared),
                source=Sighting.SCAN,
                path=path,
            )
        if options["json"]:
            self.stdout.write(json.dumps([r.as_dict() for r in reports], indent=2))
        else:
            self._print(reports)
        failed = [r for r in reports if r.error]
        if failed:
            raise CommandError("\n".join(r.error for r in failed))
        undeclared = sorted({f.name for r in reports for f in r.undeclared})
        if options["fail_on_undeclared"] and undeclared:
            raise CommandError("Undeclared: " + ", ".join(undeclared) + ".")

    def _print(self, reports: list[scanner.PageReport]) -> None:
        phases = {
            scanner.BEFORE: "Before a choice",
            scanner.AFTER: "After accepting all",
        }
        for report in reports:
            self.stdout.write(self.style.MIGRATE_HEADING(report.url))
            if report.error:
                self.stdout.write(self.style.ERROR(f"  {report.error}"))
            if report.rejected:
                self.stdout.write(
                    self.style.WARNING(
                        f"  Left out {counted(report.rejected, 'name')}: not strings, longer than "
                        f"{discovery.MAX_NAME} characters, not valid names, or beyond "
                        f"{browser.MAX_KEYS} keys in a storage area."
                    )
                )
            if report.findings and not report.accepted:
                self.stdout.write(self.style.WARNING("  No banner with “Accept all” was found."))
            for phase, title in phases.items():
                found = report.phase(phase)
                if not found and phase == scanner.AFTER and not report.accepted:
                    continue
                self.stdout.write(f"  {title}: {len(found)}")
                for f in sorted(found, key=lambda f: (f.technology, f.name)):
                    kind = f"{f.party}-party {f.via} cookie" if f.via else f.technology
                    where = f"{f.category}" if f.category else "UNDECLARED"
                    line = f"    {f.name:<28} {kind:<28} {where}"
                    if phase == scanner.BEFORE and not f.required:
                        self.stdout.write(self.style.WARNING(line + "  (not strictly necessary)"))
                    elif f.undeclared:
                        self.stdout.write(self.style.WARNING(line))
                    else:
                        self.stdout.write(line)
                    if f.suggestion:
                        self.stdout.write(f"      suggested: {_suggestion_text(f.suggestion)}")
        undeclared = sorted({f.name for r in reports for f in r.undeclared})
        early = sorted({f.name for r in reports for f in r.before_choice})
        self.stdout.write("")
        self.stdout.write(f"Scanned {counted(len(reports), 'page')}.")
        self.stdout.write("Undeclared: " + (", ".join(undeclared) if undeclared else "none") + ".")
        self.stdout.write(
            "Not strictly necessary, present before a choice: "
            + (", ".join(early) if early else "none")
            + "."
        )


def _suggestion_text(suggestion: dict[str, Any]) -> str:
    """“analytics, Google (Google Analytics), 2 years, as _ga_*”: how to declare it."""
    database = suggestion["database_category"]
    parts = [suggestion["category"] or "no category" + (f" ({database})" if database else "")]
    if suggestion["provider"]:
        platform = suggestion["platform"]
        same = not platform or platform == suggestion["provider"]
        parts.append(suggestion["provider"] + ("" if same else f" ({platform})"))
    if suggestion["session"]:
        parts.append(format_lifetime(None))
    elif suggestion["lifetime"]:
        parts.append(format_lifetime(timedelta(seconds=suggestion["lifetime"])))
    if "*" in suggestion["name"]:
        parts.append(f"as {suggestion['name']}")
    return ", ".join(parts)
