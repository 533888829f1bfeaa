"""The fluxems site served for real, on loopback: a fresh PostgreSQL database, a key prefix of
its own in Redis, server processes (gunicorn, uvicorn), and a small HTTP client that keeps
cookies. Shared by ``benchmarks/load.py`` and ``example_project/tests/test_multiprocess.py``."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
PG_PORT = int(os.environ.get("PGPORT", "5432"))
REDIS_PORT = 6379
SETTINGS = "benchmarks.mp_settings"


class ServicesUnavailable(Exception):
    """PostgreSQL or Redis (or their client libraries) are not there."""


def check_services() -> None:
    for name, port in (("PostgreSQL", PG_PORT), ("Redis", REDIS_PORT)):
        try:
            socket.create_connection((HOST, port), timeout=1).close()
        except OSError as exc:
            raise ServicesUnavailable(f"{name} is not reachable on {HOST}:{port} ({exc})") from exc
    try:
        import psycopg  # noqa: F401
        import redis  # noqa: F401
    except ImportError as exc:
        raise ServicesUnavailable(
            f"{exc.name} is not installed (pip install -e '.[test]')"
        ) from exc
    for command in ("gunicorn", "uvicorn"):
        if not (Path(PYTHON).parent / command).exists():
            raise ServicesUnavailable(f"{command} is not installed (pip install -e '.[example]')")


def _admin_connection():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(
        host=HOST, port=PG_PORT, user="postgres", dbname="postgres", autocommit=True
    )


@dataclass
class Site:
    """One fresh database and cache namespace, and the environment the servers run with."""

    database: str
    key_prefix: str
    staleness: float
    redis_db: int = 0
    #: ``CACHE_URL`` for the servers; ``None``: Redis, shared by every process.
    cache_url: str | None = None
    servers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@{HOST}:{PG_PORT}/{self.database}"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDEVMODE"}
        env.update(
            DJANGO_SETTINGS_MODULE=SETTINGS,
            PYTHONPATH=str(ROOT),
            DATABASE_URL=self.database_url,
            CACHE_URL=self.cache_url or f"redis://{HOST}:{REDIS_PORT}/{self.redis_db}",
            CACHE_KEY_PREFIX=self.key_prefix,
            COOKIECONSENT_REGISTRY_STALENESS=str(self.staleness),
            SECRET_KEY="cookieconsent-multiprocess-" + self.key_prefix,
            DEBUG="false",
        )
        return env

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            [PYTHON, "-m", "django", *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def sql(self, query: str, *params: object) -> list[tuple[object, ...]]:
        import psycopg

        with psycopg.connect(
            host=HOST, port=PG_PORT, user="postgres", dbname=self.database, autocommit=True
        ) as conn:
            return conn.execute(query, params).fetchall()  # type: ignore[arg-type]

    def serve(self, kind: str, *, workers: int = 1) -> int:
        """Start a server process; return its port once it answers."""
        port = free_port()
        bind = f"{HOST}:{port}"
        if kind == "gunicorn":
            command = [
                PYTHON, "-m", "gunicorn", "example_project.wsgi:application",
                "--bind", bind, "--workers", str(workers), "--worker-class", "sync",
                "--backlog", "2048", "--timeout", "60", "--log-level", "warning",
            ]  # fmt: skip
        elif kind == "uvicorn":
            command = [
                PYTHON, "-m", "uvicorn", "example_project.asgi:application",
                "--host", HOST, "--port", str(port), "--workers", str(workers),
                "--no-access-log", "--log-level", "warning",
            ]  # fmt: skip
        else:
            raise ValueError(kind)
        fd, name = tempfile.mkstemp(prefix=f"cc-{kind}-", suffix=".log")
        log = Path(name)
        self.logs.append(log)
        with os.fdopen(fd, "wb") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.servers.append(process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{kind} exited:\n{log.read_text()}")
            try:
                with Browser(port) as probe:
                    status = probe.get("/cookies/status/").status
            except OSError:
                time.sleep(0.1)
                continue
            if status == 200:
                return port
            raise RuntimeError(f"{kind} answered {status}:\n{log.read_text()}")
        raise RuntimeError(f"{kind} did not start in 30 s:\n{log.read_text()}")

    def stop(self) -> None:
        for process in self.servers:
            if process.poll() is None:
                # The server's own process group: its master and workers, nothing else.
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.servers:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        self.servers.clear()


@contextlib.contextmanager
def fresh_site(
    *, staleness: float = 5, prefix: str = "cookieconsent_mp", cache_url: str | None = None
) -> Iterator[Site]:
    """A migrated database created for this run and dropped after it, and a Redis key prefix
    whose keys are deleted after it."""
    check_services()
    token = uuid.uuid4().hex[:10]
    site = Site(
        database=f"{prefix}_{token}",
        key_prefix=f"{prefix}_{token}",
        staleness=staleness,
        cache_url=cache_url,
    )
    with _admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{site.database}"')
    try:
        site.manage("migrate", "--noinput")
        yield site
    finally:
        site.stop()
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{site.database}" WITH (FORCE)')
        _delete_keys(site)
        for log in site.logs:
            log.unlink(missing_ok=True)


def _delete_keys(site: Site) -> None:
    import redis

    client = redis.Redis(host=HOST, port=REDIS_PORT, db=site.redis_db)
    try:
        keys = list(client.scan_iter(match=f"{site.key_prefix}:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# -- a client ---------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    @property
    def set_cookies(self) -> dict[str, str]:
        """Cookies this response sets (deletions left out), by name."""
        found = {}
        for key, value in self.headers:
            if key.lower() != "set-cookie":
                continue
            cookie = SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                if morsel["max-age"] != "0" and morsel.value != "":
                    found[name] = morsel.value
        return found

    @property
    def text(self) -> str:
        return self.body.decode()


class Browser:
    """One visitor: HTTP/1.1 to one port, keeping the cookies it is given."""

    def __init__(self, port: int, *, timeout: float = 30) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, data: dict[str, str] | list[tuple[str, str]] | None = None
    ) -> Response:
        headers = {"Host": f"{HOST}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if method == "POST":
            # What a browser says of a form post from the site's own page.
            headers["Origin"] = f"http://{HOST}:{self.port}"
            headers["Sec-Fetch-Site"] = "same-origin"
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            try:
                self._conn.request(method, path, body=body, headers=headers)
                raw = self._conn.getresponse()
                response = Response(raw.status, raw.getheaders(), raw.read())
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed: once more on a new one.
                self.close()
                if attempt == 2:
                    raise
        if response.header("Connection") == "close":
            self.close()
        for key, value in response.headers:
            if key.lower() == "set-cookie":
                cookie = SimpleCookie()
                cookie.load(value)
                for name, morsel in cookie.items():
                    if morsel["max-age"] == "0" or morsel.value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        return response

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, str] | list[tuple[str, str]]) -> Response:
        return self.request("POST", path, data)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _CSRF_INPUT.search(html)
    if match is None:
        raise ValueError("no csrfmiddlewaretoken in the page")
    return match.group(1)


class FormFields(HTMLParser):
    """The fields a browser would submit from the ``<form method="post">`` with this id (or
    the first one): text and hidden inputs, checked boxes, selected options, text areas."""

    def __init__(self, form_id: str | None = None) -> None:
        super().__init__()
        self.form_id = form_id
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._done = False
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if (
            tag == "form"
            and a.get("method", "").lower() == "post"
            and self.form_id in (None, a.get("id"))
            and not self._done
        ):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select is not None and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            # A browser drops the newline that follows <textarea>.
            self.fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def form_fields(html: str, form_id: str | None = None) -> list[tuple[str, str]]:
    parser = FormFields(form_id)
    parser.feed(html)
    return parser.fields
