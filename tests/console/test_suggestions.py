"""Suggestions for undeclared cookies from a cookie database (the Open Cookie Database's
layout), the lifetime the site was seen to give a cookie, and the command that replaces the
database."""

from __future__ import annotations

import io
import socket
import threading
import time
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import HttpResponse
from django.test import override_settings
from django.utils.http import http_date

from cookieconsent.console import discovery, suggestions
from cookieconsent.management.commands import cookieconsent_cookie_database as command
from cookieconsent.middleware import CookieConsentMiddleware
from cookieconsent.models import CookieCategory, UndeclaredCookie

#: A few rows in the Open Cookie Database's own layout, every column of it.
DATABASE = Path(__file__).with_name("cookie-database.csv")


@pytest.fixture
def database() -> Path:
    with override_settings(COOKIECONSENT={"COOKIE_DATABASE": str(DATABASE)}):
        yield DATABASE


@pytest.fixture
def marketing(categories) -> CookieCategory:
    # Its slug is none of the words Marketing maps to: only its name can match.
    return CookieCategory.objects.create(slug="promo", name="Marketing", order=9)


def propose(*names: str, ages: dict[str, int] | None = None):
    ages = ages or {}
    found = [(n, "cookie", ages.get(n)) for n in names]
    proposals = suggestions.propose(found, list(CookieCategory.objects.all()))
    return {n: p for p in proposals for n in p.names}


@pytest.mark.django_db
def test_well_known_cookies_get_a_category_provider_purpose_and_lifetime(
    database, categories, marketing
):
    found = propose("_ga", "_fbp", "_hjSessionUser_123", "nobody_knows")
    ga = found["_ga"]
    assert (ga.name, ga.category.slug, ga.provider, ga.purpose) == (
        "_ga",
        "analytics",
        "Google",
        "Tells visitors apart.",
    )
    assert (ga.lifetime, ga.lifetime_source) == (timedelta(days=730), "database")
    fbp = found["_fbp"]
    # "Marketing" matches the site's category by its name (its slug is "promo").
    assert (fbp.category, fbp.provider, fbp.lifetime) == (marketing, "Meta", timedelta(days=90))
    hotjar = found["_hjSessionUser_123"]
    # Known by a prefix: proposed as the pattern, in Functional.
    assert (hotjar.name, hotjar.category.slug, hotjar.lifetime) == (
        "_hjSessionUser_*",
        "functional",
        timedelta(days=365),
    )
    unknown = found["nobody_knows"]
    assert (unknown.known, unknown.category, unknown.lifetime_known) == (None, None, False)


@pytest.mark.django_db
def test_categories_map_by_slug_or_name_and_unmatched_suggest_none(database, categories):
    found = propose("_fbp", "__cf_bm", "layout_choice")
    assert found["_fbp"].category is None  # no marketing category on this site
    assert found["_fbp"].known.category == "Marketing"
    assert found["__cf_bm"].category.slug == "security"  # Security: the site's "security"
    # Personalization falls back to Functional; "Varies" is no lifetime.
    assert found["layout_choice"].category.slug == "functional"
    assert found["layout_choice"].lifetime_known is False


@pytest.mark.django_db
def test_functional_is_never_suggested_as_strictly_necessary(database, categories):
    """A site without a functional category gets no category for Hotjar's user cookie: never
    its strictly necessary one, where a mistake would cost the visitor's consent."""
    site = [c for c in CookieCategory.objects.all() if c.slug != "functional"]
    found = suggestions.propose([("_hjSessionUser_123", "cookie", None)], site)
    assert (found[0].known.category, found[0].category) == ("Functional", None)


def test_a_name_that_is_a_prefix_itself_is_known_by_it():
    row = suggestions.KnownCookie("_hjSessionUser_", prefix=True, category="Functional")
    database = suggestions.CookieDatabase([row])
    assert database.lookup("_hjSessionUser_") is row
    assert database.lookup("_hjSessionUser") is None


@pytest.mark.django_db
def test_the_lifetime_seen_wins_over_the_database(database, categories):
    found = propose("_ga", ages={"_ga": 365 * 86400 + 2})
    assert (found["_ga"].lifetime, found["_ga"].lifetime_source) == (timedelta(days=365), "seen")
    assert propose("_ga", ages={"_ga": 0})["_ga"].lifetime is None  # a session cookie
    # A browser's leap day and the seconds a scan takes are not part of it.
    assert suggestions.rounded(731 * 86400 - 5) == timedelta(days=730)
    assert suggestions.rounded(90 * 60 + 1) == timedelta(minutes=90)


@pytest.mark.django_db
def test_names_that_differ_by_an_id_are_proposed_as_one_pattern(database, categories):
    found = propose("_ga_ABC123", "_ga_XYZ789", "cart_a1b2", "cart_c3d4", "lonely_77", "plain")
    ga = found["_ga_ABC123"]
    assert ga is found["_ga_XYZ789"]
    assert (ga.name, ga.category.slug) == ("_ga_*", "analytics")
    assert ga.names == ["_ga_ABC123", "_ga_XYZ789"]
    cart = found["cart_a1b2"]
    assert (cart.name, cart.names, cart.known) == ("cart_*", ["cart_a1b2", "cart_c3d4"], None)
    assert found["lonely_77"].name == "lonely_77"  # one alone is no pattern
    assert found["plain"].name == "plain"


@pytest.mark.django_db
def test_a_pattern_is_proposed_with_the_longest_lifetime_seen(database, categories):
    found = propose("_ga_ABC123", "_ga_XYZ789", ages={"_ga_ABC123": 86400, "_ga_XYZ789": 63072000})
    assert (found["_ga_ABC123"].lifetime, found["_ga_ABC123"].lifetime_source) == (
        timedelta(days=730),
        "seen",
    )


def test_the_database_is_read_once_and_again_after_a_settings_change(database):
    first = suggestions.get_database()
    assert first is suggestions.get_database()
    assert first.lookup("_ga_K2").name == "_ga_"
    assert first.lookup("_gaX") is None
    with override_settings(COOKIECONSENT={}):
        shipped = suggestions.get_database()
        assert shipped is not first
        assert suggestions.database_path() == suggestions.SHIPPED


def test_the_shipped_database_reads_and_knows_the_common_ones():
    database, _ = suggestions.parse(suggestions.SHIPPED.read_bytes())
    for name in ("_ga", "_ga_ABC123", "_gid", "_fbp", "_hjSessionUser_123", "_clck"):
        assert database.lookup(name) is not None, name
    assert (suggestions.SHIPPED.parent / "NOTICE").exists()


# -- the lifetime a Set-Cookie gives --------------------------------------------------------


def morsel(header: str):
    jar = SimpleCookie()
    jar.load(header)
    return next(iter(jar.values()))


@pytest.mark.parametrize(
    ("set_cookie", "seconds"),
    [
        ("a=1; Max-Age=31536000; Path=/", 31536000),
        ("a=1; max-age=60; expires=Thu, 01 Jan 1970 00:00:00 GMT", 60),  # Max-Age wins
        ("a=1; Path=/", 0),  # a session cookie
        ("a=1; Max-Age=0", None),  # a deletion: nothing to keep
        ("a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT", None),
        ("a=1; Expires=not a date", 0),  # ignored by browsers
        ("a=1; Max-Age=soon; Path=/", 0),
        # Read as the middleware reads a deletion, and as Chromium reads a lifetime.
        ("a=1; Max-Age=60; Max-Age=120", 120),  # the last one counts
        ("a=1; Max-Age=+3600", 3600),
        ("a=1; Max-Age=0; Max-Age=x", 0),  # no deletion to Chromium: a session cookie
        (f"a=1; Max-Age={'9' * 1000}", 2**31 - 1),  # the longest the table keeps
        # More digits than int() reads, over 1,024 bytes: ignored by browsers.
        (f"a=1; Max-Age={'9' * 5000}", 0),
    ],
)
def test_the_lifetime_a_set_cookie_gives(set_cookie, seconds):
    assert discovery.max_age_of(set_cookie) == seconds


def test_the_lifetime_of_a_morsel_counts_expires_from_now():
    import time

    in_a_day = morsel(f"a=1; expires={http_date(time.time() + 86400)}")
    assert abs(discovery.max_age_of(in_a_day) - 86400) <= 2
    assert discovery.max_age_of(morsel("a=1; max-age=3600")) == 3600


@pytest.mark.django_db
@pytest.mark.usefixtures("no_earlier_sightings")
def test_the_inbox_keeps_the_lifetime_the_site_gave(client, categories):
    client.get("/t/set/", {"c": "tracker_y", "max_age": 31536000})
    client.cookies["tracker_z"] = "1"  # only ever sent by the browser: not known
    client.get("/t/")
    found = dict(UndeclaredCookie.objects.values_list("name", "max_age"))
    assert found == {"tracker_y": 31536000, "tracker_z": None}
    discovery.reset()  # another process meets it again, without a lifetime: kept
    client.cookies["tracker_y"] = "1"
    client.get("/t/")
    assert UndeclaredCookie.objects.get(name="tracker_y").max_age == 31536000


@pytest.mark.django_db
@pytest.mark.usefixtures("no_earlier_sightings")
@pytest.mark.parametrize("written", ["raw", "set_cookie"])
def test_a_max_age_of_thousands_of_digits_is_read_as_browsers_read_it(rf, categories, written):
    """The first time the middleware meets such an undeclared cookie, the page is still
    served: the cookie is dropped and listed as a session cookie, since browsers ignore a
    Max-Age over 1,024 bytes."""

    def view(request):
        response = HttpResponse("ok")
        if written == "raw":
            response["Set-Cookie"] = f"huge_c=1; Max-Age={'9' * 5000}; Path=/"
        else:
            response.set_cookie("huge_c", "1")
            response.cookies["huge_c"]["max-age"] = "9" * 5000
        return response

    response = CookieConsentMiddleware(view)(rf.get("/t/"))
    assert response.status_code == 200
    assert not response.has_header("Set-Cookie") and "huge_c" not in response.cookies
    assert UndeclaredCookie.objects.get(name="huge_c").max_age == 0


# -- the command that replaces the database -------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("cookieconsent_cookie_database", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def target(tmp_path: Path) -> Path:
    path = tmp_path / "cookies.csv"
    with override_settings(COOKIECONSENT={"COOKIE_DATABASE": str(path)}):
        yield path


def test_the_command_installs_a_database_from_a_file(target):
    assert suggestions.get_database().lookup("_clck") is not None  # the shipped one, until
    assert str(suggestions.SHIPPED) in run()
    out = run("--from", str(DATABASE))
    assert out == f"Installed 4 names and 2 prefixes from {DATABASE} in {target}.\n"
    # Trimmed to the columns read, and read at once.
    assert target.read_text().splitlines()[0] == ",".join(suggestions.COLUMNS)
    assert suggestions.get_database().lookup("_clck") is None
    assert suggestions.get_database().lookup("_hjSessionUser_9").provider == "Hotjar"
    assert run() == f"{target}: 4 names and 2 prefixes.\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,category\n_ga,Analytics\n", "no column “Cookie / Data Key name”"),
        (b"\xff\xfe not text", "not UTF-8"),
        (",".join(suggestions.COLUMNS).encode() + b"\n", "names no cookie"),
        (b'Category,Cookie / Data Key name,Wildcard match\nA,"_ga\n', "not valid CSV"),
    ],
)
def test_a_file_that_is_no_database_is_refused_and_nothing_is_lost(
    target, tmp_path, content, message
):
    run("--from", str(DATABASE))
    before = target.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    with pytest.raises(CommandError, match=message) as error:
        run("--from", str(bad))
    assert "The database was left as it was." in str(error.value)
    assert error.value.returncode == 1
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "cookies.csv"]
    assert suggestions.get_database().lookup("_ga") is not None


def test_the_shipped_database_stays_when_the_new_one_is_invalid(tmp_path, settings):
    before = suggestions.SHIPPED.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("not,a,database\n")
    with pytest.raises(CommandError, match="is not a cookie database"):
        run("--from", str(bad))  # COOKIE_DATABASE unset: it would replace the shipped file
    assert suggestions.SHIPPED.read_bytes() == before


@pytest.mark.parametrize(
    ("source", "message", "status"),
    [
        # --from names no file, or nothing it can read: a usage error.
        ("/nonexistent/cookies.csv", "Could not read /nonexistent/cookies.csv", 2),
        ("ftp://example.com/cookies.csv", "give an http\\(s\\) URL or a file's path", 2),
        # The download failed: the work did.
        ("http://127.0.0.1:9/cookies.csv", "Could not download http://127.0.0.1:9/cookies.csv", 1),
        ("HTTPS://127.0.0.1:9/c.csv", "Could not download HTTPS://127.0.0.1:9/c.csv", 1),
    ],
)
def test_unreadable_sources_are_a_clear_error(target, source, message, status):
    with pytest.raises(CommandError, match=message) as failed:
        run("--from", source)
    assert failed.value.returncode == status
    assert not target.exists()


def test_a_path_that_looks_like_a_windows_drive_is_read_as_a_file(target, tmp_path, monkeypatch):
    """``C:cookies.csv`` has a one-letter “scheme”: a drive letter, not a URL, so it is read
    as a file's path (here, a file of that name in the current folder)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "C:cookies.csv").write_bytes(DATABASE.read_bytes())
    assert run("--from", "C:cookies.csv").startswith("Installed 4 names and 2 prefixes")


def test_a_database_of_exactly_the_limit_is_read_and_a_larger_one_is_not(
    target, tmp_path, monkeypatch
):
    size = len(DATABASE.read_bytes())
    monkeypatch.setattr(suggestions, "MAX_BYTES", size)
    assert run("--from", str(DATABASE)).startswith("Installed 4 names")
    monkeypatch.setattr(suggestions, "MAX_BYTES", size - 1)
    with pytest.raises(
        CommandError, match=r"cookie-database\.csv is larger than 0 MB: not read"
    ) as e:
        run("--from", str(DATABASE))
    assert e.value.returncode == 1


def test_a_database_that_cannot_be_written_is_a_clear_error(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("")
    unwritable = override_settings(COOKIECONSENT={"COOKIE_DATABASE": f"{blocked}/cookies.csv"})
    with unwritable, pytest.raises(CommandError, match=r"Could not write .* Set COOKIECONSENT"):
        run("--from", str(DATABASE))


# -- downloads ---------------------------------------------------------------------------------


def serve(head: bytes, *parts: bytes, pause: float = 0.0) -> str:
    """The URL of a server on a local port that answers one request with ``head`` and then
    ``parts``, ``pause`` seconds apart, and closes the connection."""
    listener = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        with listener, listener.accept()[0] as connection:
            connection.recv(65536)
            try:
                for part in (head, *parts):
                    connection.sendall(part)
                    time.sleep(pause)
            except OSError:  # the client gave up
                pass

    threading.Thread(target=answer, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/cookies.csv"


def ok(length: int | None, **headers: str) -> bytes:
    lines = ["HTTP/1.1 200 OK", "Content-Type: text/csv", "Connection: close"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_the_command_installs_a_database_it_downloads(target):
    body = DATABASE.read_bytes()
    url = serve(ok(len(body)), body)
    assert run("--from", url) == f"Installed 4 names and 2 prefixes from {url} in {target}.\n"


@pytest.mark.parametrize(
    ("head", "parts", "message"),
    [
        # The connection closed after half of what Content-Length announced.
        (ok(1000), [DATABASE.read_bytes()[:500]], "it ended after 500 of its 1000 bytes"),
        # A chunk cut short.
        (ok(None, Transfer_Encoding="chunked"), [b"3e8\r\n" + b"x" * 500], "IncompleteRead"),
    ],
    ids=["content-length", "chunked"],
)
def test_a_download_cut_short_is_not_installed(target, head, parts, message):
    run("--from", str(DATABASE))
    before = target.read_bytes()
    with pytest.raises(CommandError, match=message) as failed:
        run("--from", serve(head, *parts))
    assert failed.value.returncode == 1
    assert target.read_bytes() == before


def test_a_download_has_one_deadline_however_often_the_server_sends(target, monkeypatch):
    """A byte now and then answers each read within the socket's timeout: the deadline is the
    whole download's."""
    monkeypatch.setattr(command, "TIMEOUT", 1)
    url = serve(ok(100_000), *[b"x"] * 30, pause=0.1)
    started = time.monotonic()
    with pytest.raises(CommandError, match="did not finish downloading within 1 second") as e:
        run("--from", url)
    assert time.monotonic() - started < 2
    assert e.value.returncode == 1
    assert not target.exists()
