"""``manage.py cookieconsent_audit [URL ...]``: does a page store or fetch anything not
strictly necessary before a choice, or after “Reject all”? In headless Chromium, through the
banner, as a visitor would. Exit status 0: no; 1: yes (or a page could not be audited);
2: the audit could not run."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cookieconsent.console import audit, browser
from cookieconsent.engine.registry import get_registry
from cookieconsent.management import USAGE, browsing, counted
from cookieconsent.management.progress import Progress


class Command(BaseCommand):
    help = (
        "Open each page in headless Chromium twice, in a fresh browser each time: before a "
        "choice, then after “Reject all” in its banner; and after “Accept all”. Report "
        "every cookie, storage key and request to another origin with its category; exit "
        "with status 1 when anything not strictly necessary is stored or fetched before a "
        "choice or after a refusal. Without URLs, audits the base URL."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        browsing.add_arguments(
            parser,
            verb="audit",
            timeout_help="Seconds each step of a page (loading, the banner, reading cookies "
            "and storage) may take; a page that takes longer is reported as not audited.",
        )
        parser.add_argument(
            "--sitemap",
            action="store_true",
            help="Audit every page /sitemap.xml on the base URL lists, too.",
        )
        parser.add_argument(
            "--json", metavar="FILE", help="Write the report as JSON to FILE (- for stdout)."
        )
        parser.add_argument(
            "--html",
            metavar="DIR",
            help="Write an HTML report, index.html, with screenshots into DIR.",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=audit.JOBS,
            help="Pages audited side by side, each in two browser contexts (default %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        base, timeout = options["base_url"], options["timeout"]
        urls = browsing.urls(options)
        json_file = _json_path(options["json"])
        folder = _html_folder(options["html"])
        if options["jobs"] < 1:
            raise CommandError(
                f"--jobs {options['jobs']} is not a positive number.", returncode=USAGE
            )
        registry = get_registry()  # before the browser starts: see audit.audit()
        try:
            with browser.Browser(executable=options["browser"], timeout=timeout) as chromium:
                if options["sitemap"]:
                    listed = chromium.sitemap(base)
                    if not listed:
                        raise CommandError(
                            f"{urljoin(base, '/sitemap.xml')} lists no page on "
                            f"{browser.origin_of(base)}.",
                            returncode=USAGE,
                        )
                    given = set(urls)
                    urls += [u for u in listed if u not in given]
                urls = urls or [base]
                progress = Progress(len(urls), self.stderr, label="Auditing ")
                try:
                    pages = audit.audit(
                        chromium,
                        urls,
                        registry,
                        screenshots=folder,
                        jobs=options["jobs"],
                        on_page=lambda page: progress.advance(),
                    )
                finally:
                    progress.close()
        except browser.BrowserError as exc:
            raise CommandError(str(exc), returncode=USAGE) from None
        if options["json"] == "-":
            self.stdout.write(audit.report_json(pages, started=started))
        else:
            self._print(pages)
        # Checked before the audit, a file may still fail now (a full disk): the report
        # printed above stays, and the verdict is said with the reason.
        unwritten: list[str] = []
        if json_file is not None:
            try:
                json_file.write_text(audit.report_json(pages, started=started) + "\n")
            except OSError as exc:
                unwritten.append(f"Cannot write --json {json_file}: {exc.strerror}.")
        if folder is not None:
            try:
                index = audit.write_html(pages, folder, started=started)
            except OSError as exc:
                unwritten.append(f"Cannot write --html {folder}: {exc.strerror}.")
            else:
                self.stderr.write(f"HTML report: {index}")
        verdict = _verdict(pages)
        if unwritten:
            lines = [*unwritten, verdict or f"Audited {counted(len(pages), 'page')}: all passed."]
            raise CommandError("\n".join(lines), returncode=USAGE)
        if verdict:
            raise CommandError(verdict, returncode=1)

    def _print(self, pages: list[audit.PageAudit]) -> None:
        for page in pages:
            self.stdout.write(self.style.MIGRATE_HEADING(page.url))
            for state in page.states:
                self.stdout.write(f"  {state.label[:1].upper()}{state.label[1:]}:")
                if state.error:
                    self.stdout.write(self.style.ERROR(f"    {state.error}"))
                guarded = state.state in audit.GUARDED
                for f in sorted(state.findings, key=lambda f: (f.technology, f.name)):
                    kind = f"{f.party}-party {f.via} cookie" if f.via else f.technology
                    line = f"    {f.name:<28} {kind:<28} {f.category or audit.UNDECLARED}"
                    bad = guarded and not f.required
                    self.stdout.write(self.style.ERROR(line) if bad else line)
                for r in state.requests:
                    line = f"    {r.url}  {r.resource_type}  {r.category or audit.UNDECLARED}"
                    bad = guarded and not r.required
                    self.stdout.write(self.style.ERROR(line) if bad else line)
                if not state.findings and not state.requests and not state.error:
                    self.stdout.write("    nothing stored, no request to another origin")
        passed = sum(p.passed for p in pages)
        self.stdout.write("")
        self.stdout.write(f"Audited {counted(len(pages), 'page')}: {passed} passed.")


def _verdict(pages: list[audit.PageAudit]) -> str:
    """Why the audit failed, each problem and error on a line; "" when every page passed."""
    problems = [p for page in pages for p in page.problems]
    errors = [e for page in pages for e in page.errors]
    if not problems and not errors:
        return ""
    lines = [
        f"The audit failed on {sum(not p.passed for p in pages)} of {counted(len(pages), 'page')}:"
    ]
    lines += problems
    lines += [f"Not audited: {e}" for e in errors]
    return "\n".join(lines)


def _json_path(value: str | None) -> Path | None:
    """The ``--json`` file, once it is known it can be written (before the audit runs, not
    after it; a file that was not there is not left behind)."""
    if value is None or value == "-":
        return None
    path = Path(value)
    if not path.parent.is_dir():
        raise CommandError(f"--json {value}: no folder {path.parent}.", returncode=USAGE)
    if path.is_dir():
        raise CommandError(f"--json {value} is a folder.", returncode=USAGE)
    existed = path.exists()
    try:
        with path.open("a"):  # appends nothing: the file is written once the audit is done
            pass
        if not existed:
            path.unlink()
    except OSError as exc:
        raise CommandError(
            f"Cannot write --json {value}: {exc.strerror}.", returncode=USAGE
        ) from None
    return path


def _html_folder(value: str | None) -> Path | None:
    """The ``--html`` folder, made if need be, once it is known files can be written there."""
    if value is None:
        return None
    folder = Path(value)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(
            f"--html {value}: cannot make the folder ({exc.strerror}).", returncode=USAGE
        ) from None
    try:
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise CommandError(
            f"Cannot write --html {value}: {exc.strerror}.", returncode=USAGE
        ) from None
    return folder
