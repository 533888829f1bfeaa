"""What a well-known cookie is: category, provider, purpose and lifetime suggested for the
undeclared ones, from a cookie database in the Open Cookie Database's CSV layout.

The database is read once per process, when first asked (``get_database()``): a dict of exact
names, and one of prefixes (the rows whose *wildcard match* is 1, such as ``_ga_``) for each
length of prefix. It is the file ``COOKIE_DATABASE`` names, else the one shipped in
``cookieconsent/data``; ``manage.py cookieconsent_cookie_database --from URL|FILE`` replaces it
(``install()``) after checking that the new one reads.

Its categories are mapped onto the site's by slug or name (``CATEGORY_WORDS``); a category
that matches none is not suggested. Names that differ only by an id at the end
(``_ga_ABC123``, ``_ga_XYZ789``) are proposed as one pattern (``_ga_*``), as are names the
database knows by a prefix.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.text import slugify

from cookieconsent.conf import get_config, on_reset
from cookieconsent.lifetimes import DAY, HOUR, MINUTE, parse_lifetime
from cookieconsent.models import CookieCategory, validate_cookie_name

__all__ = [
    "CATEGORY_WORDS",
    "SHIPPED",
    "CookieDatabase",
    "CookieDatabaseError",
    "KnownCookie",
    "Proposal",
    "database_path",
    "get_database",
    "install",
    "parse",
    "propose",
]

logger = logging.getLogger("cookieconsent")

#: The database shipped with the app.
SHIPPED = Path(__file__).resolve().parent.parent / "data" / "cookie-database.csv"

#: The Open Cookie Database's columns that are read; the first three must be there.
NAME, CATEGORY, WILDCARD = "Cookie / Data Key name", "Category", "Wildcard match"
PLATFORM, DESCRIPTION, RETENTION, CONTROLLER = (
    "Platform",
    "Description",
    "Retention period",
    "Data Controller",
)
COLUMNS = (PLATFORM, CATEGORY, NAME, DESCRIPTION, RETENTION, CONTROLLER, WILDCARD)
REQUIRED_COLUMNS = (NAME, CATEGORY, WILDCARD)

#: A database's category → the slugs or names (as slugs) of the site's category it fits, in
#: order of preference. The first of the site's categories that matches is suggested.
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "necessary": ("necessary", "strictly-necessary", "essential", "required"),
    "security": ("security", "necessary", "strictly-necessary", "essential"),
    "functional": ("functional", "functionality", "preferences"),
    "personalization": ("personalization", "personalisation", "preferences", "functional"),
    "analytics": ("analytics", "statistics", "performance", "measurement"),
    "marketing": ("marketing", "advertising", "targeting", "ads"),
}

#: The largest file read, from a URL or a path (the whole Open Cookie Database is under 1 MB).
MAX_BYTES = 20 * 1024 * 1024


class CookieDatabaseError(ValueError):
    """A cookie database that cannot be read, or is not one."""


@dataclass(frozen=True, slots=True)
class KnownCookie:
    """One row of the database: a name, or a prefix of names when ``prefix``."""

    name: str
    prefix: bool
    category: str
    platform: str = ""
    description: str = ""
    retention: str = ""
    controller: str = ""

    @property
    def provider(self) -> str:
        return self.controller or self.platform

    @property
    def pattern(self) -> str | None:
        """``<prefix>*`` for a prefix that makes a valid pattern, else ``None``."""
        return _valid_pattern(self.name + "*") if self.prefix else None


class CookieDatabase:
    """Rows by exact name, and by prefix for each length of prefix, longest first: a lookup
    is one dict access, then one per length of prefix (a few dozen), never a scan."""

    def __init__(self, rows: Iterable[KnownCookie]) -> None:
        self.exact: dict[str, KnownCookie] = {}
        by_length: dict[int, dict[str, KnownCookie]] = {}
        for row in rows:
            if row.prefix:
                by_length.setdefault(len(row.name), {}).setdefault(row.name, row)
            else:
                self.exact.setdefault(row.name, row)
        self._by_length = sorted(by_length.items(), reverse=True)

    @property
    def prefixes(self) -> list[KnownCookie]:
        """The rows that name a prefix, longest first."""
        return [row for _length, rows in self._by_length for row in rows.values()]

    def __len__(self) -> int:
        return len(self.exact) + sum(len(rows) for _length, rows in self._by_length)

    def lookup(self, name: str) -> KnownCookie | None:
        """The row of ``name``, else of the longest prefix it starts with, else ``None``."""
        known = self.exact.get(name)
        if known is not None:
            return known
        for length, rows in self._by_length:
            if length <= len(name):
                known = rows.get(name[:length])
                if known is not None:
                    return known
        return None


def parse(data: bytes) -> tuple[CookieDatabase, str]:
    """The database in ``data`` (CSV, UTF-8), and the same trimmed to ``COLUMNS``; raises
    ``CookieDatabaseError`` for anything that is not such a database with a row in it."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CookieDatabaseError(f"it is not UTF-8 text ({exc.reason}).") from None
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = reader.fieldnames or []
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise CookieDatabaseError(
                "it is not in the Open Cookie Database's CSV layout: no column "
                + ", ".join(f"“{c}”" for c in missing)
                + "."
            )
        rows: list[KnownCookie] = []
        for line in reader:
            name = (line.get(NAME) or "").strip()
            if not name:
                continue
            rows.append(
                KnownCookie(
                    name=name,
                    prefix=(line.get(WILDCARD) or "").strip().lower() in ("1", "true", "yes"),
                    category=(line.get(CATEGORY) or "").strip(),
                    platform=(line.get(PLATFORM) or "").strip(),
                    description=(line.get(DESCRIPTION) or "").strip(),
                    retention=(line.get(RETENTION) or "").strip(),
                    controller=(line.get(CONTROLLER) or "").strip(),
                )
            )
    except csv.Error as exc:
        raise CookieDatabaseError(f"it is not valid CSV (line {reader.line_num}: {exc}).") from None
    if not rows:
        raise CookieDatabaseError("it names no cookie.")
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.platform,
                row.category,
                row.name,
                row.description,
                row.retention,
                row.controller,
                "1" if row.prefix else "0",
            ]
        )
    return CookieDatabase(rows), out.getvalue()


def database_path() -> Path:
    """The file suggestions are read from: ``COOKIE_DATABASE`` once it exists, else the one
    shipped with the app."""
    configured = get_config()["COOKIE_DATABASE"]
    if configured and os.path.exists(configured):
        return Path(configured)
    return SHIPPED


def install_path() -> Path:
    """Where ``install()`` writes: ``COOKIE_DATABASE``, else over the shipped file."""
    configured = get_config()["COOKIE_DATABASE"]
    return Path(configured) if configured else SHIPPED


_database: CookieDatabase | None = None
_lock = threading.Lock()


def get_database() -> CookieDatabase:
    """The database, read on first use in this process. One that cannot be read is logged
    once and suggests nothing: the inbox works without it."""
    global _database
    database = _database
    if database is None:
        with _lock:
            if _database is None:
                path = database_path()
                try:
                    _database, _trimmed = parse(path.read_bytes())
                except (OSError, CookieDatabaseError) as exc:
                    logger.warning(
                        "cookieconsent suggests nothing for undeclared cookies: the cookie "
                        "database %s cannot be read: %s",
                        path,
                        exc,
                    )
                    _database = CookieDatabase(())
            database = _database
    return database


@on_reset
def reset() -> None:
    """Forget the database read (``conf.reset_caches()`` calls it)."""
    global _database
    with _lock:
        _database = None


def install(data: bytes, target: Path | None = None) -> tuple[Path, CookieDatabase]:
    """Check ``data`` is a cookie database, then write it (trimmed to ``COLUMNS``) over
    ``target`` (``install_path()``) in one step: a database that does not read leaves the
    file as it was. Raises ``CookieDatabaseError`` or ``OSError``."""
    database, trimmed = parse(data)
    target = target or install_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=target.parent, prefix=".cookie-database-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(trimmed)
        os.chmod(scratch, 0o644)
        os.replace(scratch, target)
    except BaseException:
        os.unlink(scratch)
        raise
    reset()
    return target, database


# -- proposals -------------------------------------------------------------------------------


def _valid_pattern(name: str) -> str | None:
    try:
        validate_cookie_name(name)
    except ValidationError:
        return None
    return name


#: An id at the end of a name, after a separator: letters and digits with a digit among them,
#: or at least eight of them (a hash).
_ID_SUFFIX = re.compile(
    r"^(?P<stem>.{3,}?[_.\-:])(?P<id>[A-Za-z0-9]*[0-9][A-Za-z0-9]*|[A-Za-z0-9]{8,})$"
)


def _stem(name: str) -> str | None:
    match = _ID_SUFFIX.match(name)
    return match.group("stem") if match else None


def map_category(
    known: KnownCookie | None, categories: Sequence[CookieCategory]
) -> CookieCategory | None:
    """The site's category that fits the database's category of ``known``, if one does."""
    if known is None:
        return None
    words = CATEGORY_WORDS.get(slugify(known.category), ())
    for word in words:
        for category in categories:
            if category.slug.lower() == word or slugify(category.name) == word:
                return category
    return None


def rounded(seconds: int) -> timedelta:
    """A lifetime seen, in the unit people write: whole days (a year's leap day dropped),
    else whole minutes, else seconds."""
    if seconds >= DAY:
        days = round(seconds / DAY)
        if days >= 365 and days % 365 <= 1:
            days -= days % 365
        return timedelta(days=days)
    if seconds >= HOUR:
        return timedelta(minutes=round(seconds / MINUTE))
    return timedelta(seconds=seconds)


@dataclass
class Proposal:
    """How to declare one or more undeclared names: the name (or pattern) to declare, and
    what is known of them."""

    name: str
    technology: str
    names: list[str] = field(default_factory=list)
    known: KnownCookie | None = None
    category: CookieCategory | None = None
    #: The lifetime: ``None`` for a session cookie, when ``lifetime_known``.
    lifetime: timedelta | None = None
    lifetime_known: bool = False
    #: Where the lifetime comes from: "seen" (the site's own Set-Cookie) or "database".
    lifetime_source: str = ""

    @property
    def is_pattern(self) -> bool:
        return "*" in self.name

    @property
    def provider(self) -> str:
        return self.known.provider if self.known else ""

    @property
    def purpose(self) -> str:
        return self.known.description if self.known else ""

    def as_dict(self) -> dict[str, object]:
        """For JSON: the scanner's report."""
        return {
            "name": self.name,
            "category": self.category.slug if self.category else None,
            "database_category": self.known.category if self.known else None,
            "platform": self.known.platform if self.known else None,
            "provider": self.provider or None,
            "purpose": self.purpose or None,
            "lifetime": _lifetime_seconds(self) if self.lifetime_known else None,
            "session": self.lifetime_known and self.lifetime is None,
        }


def _lifetime_seconds(proposal: Proposal) -> int | None:
    return int(proposal.lifetime.total_seconds()) if proposal.lifetime else None


def propose(
    found: Iterable[tuple[str, str, int | None]],
    categories: Sequence[CookieCategory],
    database: CookieDatabase | None = None,
) -> list[Proposal]:
    """One proposal per name or pattern, for ``(name, technology, max_age)`` triples (an
    undeclared cookie's name, technology and lifetime seen), in the order first met.

    A name the database knows by a prefix is proposed as ``<prefix>*``; names of one
    technology that differ only by an id at the end, as ``<stem>*`` (two or more of them);
    every other name as itself."""
    database = database or get_database()
    items = list(found)
    stems: dict[tuple[str, str], set[str]] = {}
    for name, technology, _seen in items:
        stem = _stem(name)
        if stem is not None:
            stems.setdefault((technology, stem), set()).add(name)
    proposals: dict[tuple[str, str], Proposal] = {}
    ages: dict[tuple[str, str], list[int]] = {}
    for name, technology, seen in items:
        known = database.lookup(name)
        target = name
        if known is not None and known.pattern:
            target = known.pattern
        else:
            stem = _stem(name)
            if stem is not None and len(stems[(technology, stem)]) > 1:
                target = _valid_pattern(stem + "*") or name
                if target != name and known is None:
                    known = database.lookup(stem)
        key = (technology, target)
        proposal = proposals.get(key)
        if proposal is None:
            proposal = proposals[key] = Proposal(target, technology, known=known)
            proposal.category = map_category(known, categories)
        if name not in proposal.names:
            proposal.names.append(name)
        if seen is not None:
            ages.setdefault(key, []).append(seen)
    for key, proposal in proposals.items():
        seen_ages = ages.get(key)
        if seen_ages:
            longest = max(seen_ages)
            proposal.lifetime = rounded(longest) if longest else None
            proposal.lifetime_known, proposal.lifetime_source = True, "seen"
        elif proposal.known is not None and proposal.known.retention:
            try:
                proposal.lifetime = parse_lifetime(proposal.known.retention)
            except ValidationError:
                continue  # "Unknown", "Varies", …: nothing to suggest
            proposal.lifetime_known, proposal.lifetime_source = True, "database"
    return list(proposals.values())
