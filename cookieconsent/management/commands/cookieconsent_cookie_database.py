"""``manage.py cookieconsent_cookie_database [--from URL|FILE]``: say which cookie database
the suggestions come from, or replace it with a newer one (such as the Open Cookie
Database's CSV)."""

from __future__ import annotations

import http.client
import threading
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cookieconsent.console import suggestions
from cookieconsent.management import USAGE, counted

#: Seconds a download may take, from connecting to its last byte.
TIMEOUT = 30
#: Bytes read at a time: between two reads, the download checks it is still wanted.
_CHUNK = 64 * 1024


class Command(BaseCommand):
    help = (
        "Say which cookie database the Undeclared cookies list and the scanner suggest from; "
        "with --from, replace it by a CSV file in the Open Cookie Database's layout, from a "
        "URL or a file. A file that does not read leaves the database as it was."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from",
            dest="source",
            metavar="URL|FILE",
            help="An http(s) URL or a path of the CSV, e.g. the Open Cookie Database's "
            "open-cookie-database.csv.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source: str | None = options["source"]
        if source is None:
            path = suggestions.database_path()
            database = suggestions.get_database()
            self.stdout.write(
                f"{path}: {counted(len(database.exact), 'name')} and "
                f"{counted(len(database.prefixes), 'prefix', 'prefixes')}."
            )
            return
        data = _read(source)
        try:
            path, database = suggestions.install(data)
        except suggestions.CookieDatabaseError as exc:
            raise CommandError(
                f"{source} is not a cookie database: {exc} The database was left as it was."
            ) from None
        except OSError as exc:
            raise CommandError(
                f"Could not write {suggestions.install_path()}: {exc.strerror or exc}. Set "
                "COOKIECONSENT['COOKIE_DATABASE'] to a file this user may write."
            ) from None
        self.stdout.write(
            f"Installed {counted(len(database.exact), 'name')} and "
            f"{counted(len(database.prefixes), 'prefix', 'prefixes')} from "
            f"{source} in {path}."
        )


def _read(source: str) -> bytes:
    """The bytes of ``source``, a URL or a path; a ``CommandError`` that says why not (a usage
    error for a source that is neither, or a file that cannot be opened)."""
    limit = suggestions.MAX_BYTES
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        data = _download(source, limit)
    elif scheme and len(scheme) > 1:  # not a Windows drive letter
        raise CommandError(f"{source}: give an http(s) URL or a file's path.", returncode=USAGE)
    else:
        try:
            with open(source, "rb") as file:
                data = file.read(limit + 1)
        except OSError as exc:
            raise CommandError(
                f"Could not read {source}: {exc.strerror or exc}.", returncode=USAGE
            ) from None
    if len(data) > limit:
        raise CommandError(f"{source} is larger than {limit // (1024 * 1024)} MB: not read.")
    return data


def _download(source: str, limit: int) -> bytes:
    """The body at the URL ``source``, at most ``limit + 1`` bytes of it, within ``TIMEOUT``
    seconds in all (a socket's timeout bounds each read, not a server that sends a byte now
    and then); a ``CommandError`` that says why not."""
    outcome: list[bytes | CommandError] = []
    stop = threading.Event()

    def fetch() -> None:
        try:
            outcome.append(_fetch(source, limit, stop))
        except CommandError as exc:
            outcome.append(exc)

    # The download runs in a thread the command waits for at most TIMEOUT: one left behind
    # stops at its next read (daemon: it never holds the process open).
    worker = threading.Thread(target=fetch, name="cookieconsent-download", daemon=True)
    worker.start()
    worker.join(TIMEOUT)
    done = list(outcome)  # before it is stopped: a download stopped half way is never read
    stop.set()
    if not done:
        raise CommandError(
            f"{source} did not finish downloading within {counted(TIMEOUT, 'second')}."
        )
    if isinstance(done[0], CommandError):
        raise done[0]
    return done[0]


def _fetch(source: str, limit: int, stop: threading.Event) -> bytes:
    try:
        with urllib.request.urlopen(source, timeout=TIMEOUT) as response:
            chunks: list[bytes] = []
            size = 0
            while size <= limit and not stop.is_set():
                chunk = response.read1(_CHUNK)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            announced = response.headers.get("Content-Length", "")
    except urllib.error.HTTPError as exc:
        raise CommandError(f"{source} answered {exc.code} {exc.reason}.") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise CommandError(f"Could not download {source}: {reason}.") from None
    if size <= limit and announced.isdigit() and size < int(announced):
        # The connection closed early: a database cut short is not the database.
        raise CommandError(
            f"Could not download {source}: it ended after {size} of its {announced} bytes."
        )
    return b"".join(chunks)
