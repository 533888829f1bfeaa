"""Two processes at once: the same day counted twice, the policy published twice. Each test
holds one transaction open in the test's thread and runs the other in a second thread with a
connection of its own, which waits for the first."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from cookieconsent import publishing
from cookieconsent.console import stats
from cookieconsent.engine import following
from cookieconsent.engine.registry import get_registry
from cookieconsent.models import (
    ConsentRecord,
    CookieCategory,
    CookiePolicy,
    CountedDay,
    DailyDecisions,
    PublishedVersion,
)
from cookieconsent.proof import chain
from cookieconsent.publishing import publication
from tests.factories import ConsentRecordFactory, CookiePolicyFactory

ROOT = Path(__file__).resolve().parent.parent

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite in memory (the suite's) is one writer's, no row locks",
)


class Other(threading.Thread):
    """``work`` in a thread with its own database connection; what it raised, if anything."""

    def __init__(self, work: Callable[[], object]) -> None:
        super().__init__(daemon=True)
        self.work = work
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.work()
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            connection.close()


def wait_until_waiting(timeout: float = 10) -> None:
    """Until another connection waits for a lock this one holds (PostgreSQL)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # pg_locks, not pg_stat_activity: that is read once per transaction.
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the other connection never waited for this one")


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_recounts_of_the_same_day_take_turns():
    day = timezone.localdate() - dt.timedelta(days=2)
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    for action in ("accept_all", "accept_all", "reject_all"):
        ConsentRecordFactory(created_at=moment, action=action)
    other = Other(lambda: stats.recount_day(day))
    with transaction.atomic():
        stats.recount_day(day)
        other.start()
        wait_until_waiting()
    other.join(10)
    assert other.error is None, other.error
    assert sorted(DailyDecisions.objects.values_list("action", "decisions")) == [
        ("accept_all", 2),
        ("reject_all", 1),
    ]
    assert list(CountedDay.objects.values_list("day", flat=True)) == [day]


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_appends_keep_one_valid_chain():
    """An append waits for the one holding the chain's head; then many threads append at
    once. Every record is written, each links to the one before it, and the chain
    verifies."""
    other = Other(ConsentRecordFactory)
    with transaction.atomic():
        ConsentRecordFactory()
        other.start()
        wait_until_waiting()
    other.join(10)
    assert other.error is None, other.error
    crowd = [Other(lambda: [ConsentRecordFactory() for _ in range(5)]) for _ in range(6)]
    for thread in crowd:
        thread.start()
    for thread in crowd:
        thread.join(30)
        assert thread.error is None, thread.error
    report = chain.verify()
    assert report.ok, report.broken
    assert report.checked == ConsentRecord.objects.count() == 32
    links = list(ConsentRecord.objects.order_by("pk").values_list("chain_prev", "chain_hash"))
    assert all(prev == before for (prev, _), (_, before) in zip(links[1:], links, strict=False))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_many_consent_posts_at_once_to_a_live_server_are_all_recorded(live_server, categories):
    """Visitors choosing at the same moment, through a real server: every post is answered and
    recorded, in one valid chain. (On the suite's in-memory SQLite the server's threads share
    one connection and take turns, tests.helpers.one_at_a_time: posts at once had interleaved
    their transactions and answered 500.) Eight visitors at a time, five posts each: more
    connections at once than the server's listen queue (Django's: 10) are reset."""
    url = live_server.url + reverse("cookieconsent:consent")
    answers: list[int] = []

    def post(action: str) -> None:
        body = json.dumps({"action": action}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        headers |= {"Origin": live_server.url, "Sec-Fetch-Site": "same-origin"}
        for _ in range(5):
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    answers.append(response.status)
            except urllib.error.HTTPError as exc:
                answers.append(exc.code)

    crowd = [Other(functools.partial(post, ("accept_all", "reject_all")[n % 2])) for n in range(8)]
    for thread in crowd:
        thread.start()
    for thread in crowd:
        thread.join(60)
        assert thread.error is None, thread.error
    assert answers == [200] * 40
    report = chain.verify()
    assert report.ok, report.broken
    assert report.checked == ConsentRecord.objects.count() == 40


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_users_decision_read_before_the_next_one_commits_is_not_kept(settings):
    """``CONSENT_FOLLOWS_USER``: while one request writes a signed-in user's new decision, a
    page of theirs on another connection reads the one before it (the new record is not
    committed yet) and caches it. The commit drops that again: the next page reads the new
    decision instead of the old one for ``CACHE_TIMEOUT``."""
    settings.COOKIECONSENT = {"CONSENT_FOLLOWS_USER": True}
    user = "4242"
    ConsentRecordFactory(user_pk=user, action="accept_all", granted=["analytics"])
    written, read = threading.Event(), threading.Event()

    def decide_again() -> None:
        with transaction.atomic():
            ConsentRecordFactory(user_pk=user, action="reject_all", refused=["analytics"])
            following.forget(user)
            written.set()
            assert read.wait(10)

    other = Other(decide_again)
    other.start()
    assert written.wait(10)
    before = following.latest(user)  # the committed decision, now cached
    read.set()
    other.join(10)
    assert other.error is None, other.error
    assert before is not None and before.action == "accept_all"
    after = following.latest(user)
    assert after is not None and after.action == "reject_all"


def current_policy() -> CookiePolicy:
    policy = CookiePolicy.current()
    assert policy is not None
    return policy


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_publishes_at_once_take_turns(categories):
    # Asking for consent again: an unchanged draft alone would be nothing to publish.
    other = Other(lambda: publishing.publish(current_policy(), reconsent=True))
    with transaction.atomic():
        publishing.publish(current_policy(), reconsent=True)
        other.start()
        wait_until_waiting()
    other.join(30)
    assert other.error is None, other.error
    assert list(PublishedVersion.objects.order_by("number").values_list("number", flat=True)) == [
        1,
        2,
        3,
    ]


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_policy_published_beside_the_current_one_is_refused_clearly(categories):
    """Not a collision on the site-wide version number: the second publish waits for the
    first, then finds its policy is not the current one."""
    old = CookiePolicyFactory(title="Old policy", is_current=False)
    other = Other(lambda: publishing.publish(old))
    with transaction.atomic():
        publishing.publish(current_policy(), reconsent=True)  # an unchanged draft needs it
        other.start()
        wait_until_waiting()
    other.join(30)
    assert isinstance(other.error, publishing.NotCurrentPolicy), other.error
    assert list(PublishedVersion.objects.values_list("number", "policy")) == [
        (2, current_policy().pk),
        (1, current_policy().pk),
    ]


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_publish_from_the_admin_waits_for_a_save_of_the_policy_and_publishes_it(
    categories, staff
):
    """Staff press Publish… while another's save of the policy is in its transaction: the
    publish waits for it, and its snapshots show the saved words its content records."""
    policy = current_policy()
    url = reverse("admin:cookieconsent_cookiepolicy_publish", args=[policy.pk])
    answers: list[HttpResponse] = []
    other = Other(lambda: answers.append(staff.post(url, {"last_updated": "2026-07-01"})))
    with transaction.atomic():
        policy.title = "Saved meanwhile"
        policy.save()  # raises the registry stamp: its row stays locked until the commit
        other.start()
        wait_until_waiting()
    other.join(30)
    assert other.error is None, other.error
    assert answers[0].status_code == 302
    version = PublishedVersion.objects.get(number=2)
    assert version.content["policy"]["title"] == "Saved meanwhile"
    assert {s.title for s in version.snapshots.all()} == {"Saved meanwhile"}


#: Run by each of the processes below: set up Django on the file database, wait for the
#: common start, publish.
@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_other_threads_serve_what_is_committed_while_a_publish_renders(categories, monkeypatch):
    """While a publish renders its version, in its transaction, every other thread of the
    process serves the version committed: the one being published may still roll back."""
    assert get_registry().policy_version == 1
    seen: list[int] = []
    render = publication.render

    def render_and_look(*args: object, **kwargs: object) -> object:
        rendered = render(*args, **kwargs)  # which reads the registry the publish sees
        if not seen:
            other = Other(lambda: seen.append(get_registry().policy_version))
            other.start()
            other.join(10)
            assert other.error is None
        return rendered

    monkeypatch.setattr(publication, "render", render_and_look)
    CookieCategory.objects.filter(slug="functional").update(purpose="Remembers choices.")
    publishing.publish(CookiePolicy.objects.get(is_current=True))
    assert seen == [1]
    assert get_registry().policy_version == 2  # committed: every thread builds again


PUBLISHER = """
import sys, time
import django
django.setup()
from django.core.management import call_command
time.sleep(max(0, float(sys.argv[1]) - time.time()))
call_command("cookieconsent_publish", "--reconsent")  # an unchanged draft needs it
"""


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's locking; PostgreSQL's is tested above"
)
def test_three_publishes_at_once_on_a_sqlite_file_all_succeed(tmp_path):
    """Each a process of its own on one database file, as on a site: none fails with
    "database is locked"; they queue, and number the versions 1, 2, 3."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(ROOT),
    }
    run = functools.partial(subprocess.run, env=env, cwd=ROOT, capture_output=True, text=True)
    migrate = run([sys.executable, "-m", "django", "migrate", "-v0"])
    assert migrate.returncode == 0, migrate.stderr
    made = run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from tests.factories import PolicySectionFactory;"
            " PolicySectionFactory()",
        ]
    )
    assert made.returncode == 0, made.stderr
    start = str(time.time() + 3)
    publishers = [
        subprocess.Popen(
            [sys.executable, "-c", PUBLISHER, start],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outcomes = [(p.wait(60), *p.communicate()) for p in publishers]
    assert [code for code, _out, _err in outcomes] == [0, 0, 0], outcomes
    published = sorted(out.split(" of ")[0] for _code, out, _err in outcomes)
    assert published == ["Published Version 1", "Published Version 2", "Published Version 3"]
