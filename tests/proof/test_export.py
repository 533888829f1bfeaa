"""``cookieconsent_export``: the consent log from the shell, streamed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from cookieconsent.models import ChainCheckpoint, ConsentRecord
from cookieconsent.proof import export
from tests.factories import ConsentRecordFactory
from tests.helpers import auditors_script
from tests.proof.test_chain import TABLE, below_the_guard, make_unreadable, unreadable

pytestmark = pytest.mark.django_db


def run(*args: str, stderr: io.StringIO | None = None) -> str:
    out = io.StringIO()
    call_command("cookieconsent_export", *args, stdout=out, stderr=stderr or io.StringIO())
    return out.getvalue()


@pytest.fixture
def records():
    tz = timezone.get_current_timezone()
    made = []
    for day in (1, 2, 3):
        made.append(
            ConsentRecordFactory(
                created_at=dt.datetime(2026, 3, day, 12, tzinfo=tz),
                granted=["analytics"] if day == 2 else [],
                refused=["functional"],
                action="custom",
                user_agent='Agent, with "quotes"\nand a newline',
            )
        )
    return made


def test_csv_by_default_oldest_first(records):
    rows = list(csv.DictReader(io.StringIO(run())))
    assert [r["consent_id"] for r in rows] == [str(r.consent_id) for r in records]
    assert rows[1]["granted"] == "analytics"
    assert rows[0]["user_agent"] == 'Agent, with "quotes"\nand a newline'
    assert list(rows[0]) == [name for name, _ in export.columns()]


def test_since_and_until_take_whole_days(records):
    rows = list(csv.DictReader(io.StringIO(run("--since", "2026-03-02", "--until", "2026-03-02"))))
    assert [r["consent_id"] for r in rows] == [str(records[1].consent_id)]
    rows = list(csv.DictReader(io.StringIO(run("--since", "2026-03-02T13:00"))))
    assert [r["consent_id"] for r in rows] == [str(records[2].consent_id)]


def test_json_lines_to_a_file(records, tmp_path):
    target = tmp_path / "log.jsonl"
    err = io.StringIO()
    assert run("--format", "jsonl", "--output", str(target), stderr=err) == ""
    lines = target.read_text().splitlines()
    assert [json.loads(line)["granted"] for line in lines] == [[], ["analytics"], []]
    assert "Exported 3 consent records to" in err.getvalue()
    assert "[" not in err.getvalue()  # no progress bar when stderr is not a terminal


def test_since_and_until_include_their_first_and_last_moments():
    """``--since`` takes a record given at the very midnight it names, ``--until`` one given
    in the last instant of its day, and neither takes the instant either side."""
    tz = timezone.get_current_timezone()
    before = ConsentRecordFactory(created_at=dt.datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=tz))
    first = ConsentRecordFactory(created_at=dt.datetime(2026, 3, 2, tzinfo=tz))
    last = ConsentRecordFactory(created_at=dt.datetime(2026, 3, 2, 23, 59, 59, 999999, tzinfo=tz))
    after = ConsentRecordFactory(created_at=dt.datetime(2026, 3, 3, tzinfo=tz))
    rows = list(csv.DictReader(io.StringIO(run("--since", "2026-03-02", "--until", "2026-03-02"))))
    assert [r["consent_id"] for r in rows] == [str(first.consent_id), str(last.consent_id)]
    assert {before.consent_id, after.consent_id}.isdisjoint(r["consent_id"] for r in rows)


def test_an_empty_export_says_0_records(tmp_path):
    err = io.StringIO()
    run("-o", str(tmp_path / "a"), stderr=err)
    assert f"Exported 0 consent records to {tmp_path / 'a'}." in err.getvalue()


def test_one_record_is_said_in_the_singular(records, tmp_path):
    err = io.StringIO()
    run("--since", "2026-03-02", "--until", "2026-03-02", "-o", str(tmp_path / "a"), stderr=err)
    assert f"Exported 1 consent record to {tmp_path / 'a'}." in err.getvalue()


def test_a_progress_bar_on_a_terminal(records):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Terminal()
    run(stderr=err)
    assert "\r" in err.getvalue()
    assert "100% 3/3" in err.getvalue()


def test_large_exports_come_in_chunks():
    ConsentRecordFactory.create_batch(1200)
    from cookieconsent.models import ConsentRecord

    chunks = list(export.stream(ConsentRecord.objects.all(), "jsonl"))
    assert len(chunks) == 3
    assert sum(c.count("\n") for c in chunks) == 1200


def test_records_given_at_the_same_time_are_read_once_each_across_chunks(monkeypatch):
    """Oldest first, and by key among records of the same moment, however the rows are read
    in chunks (on MySQL and MariaDB a page per query, after the last row's time and key)."""
    monkeypatch.setattr(export, "CHUNK_SIZE", 2)
    tz = timezone.get_current_timezone()
    at = [dt.datetime(2026, 3, day, 12, tzinfo=tz) for day in (2, 1, 2, 2, 1, 3, 2)]
    made = [ConsentRecordFactory(created_at=moment) for moment in at]
    expected = sorted(made, key=lambda r: (r.created_at, r.pk))
    rows = list(csv.DictReader(io.StringIO(run())))
    assert [r["consent_id"] for r in rows] == [str(r.consent_id) for r in expected]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "Unknown --format 'xml': use csv or jsonl."),
        (["--since", "yesterday"], "--since 'yesterday' is not a date"),
        (["--until", "2026-02-30"], "--until '2026-02-30' is not a date"),
        (["--output", "/nonexistent/dir/x.csv"], "Cannot write /nonexistent/dir/x.csv"),
        (["--until", "9999-12-31"], "--until '9999-12-31' is out of range"),
        (["--since", "0001-01-01"], "--since '0001-01-01' is out of range"),
        (["--since", "0001-01-01T00:30"], "--since '0001-01-01T00:30' is out of range"),
        (["--since", "2026-03-02", "--until", "2026-03-01"], "comes after --until '2026-03-01'"),
        (["--since", "2026-03-02T00:00", "--until", "2026-03-01"], "no record could be in both"),
        # An empty value (a cron job's unset variable) is not the option left out.
        (["--since", ""], "--since '' is not a date"),
        (["--until", ""], "--until '' is not a date"),
        (["--output", "/dev/full"], "Cannot write /dev/full: No space left on device."),
    ],
)
def test_bad_input_is_a_clear_error(args, message):
    with pytest.raises(CommandError, match=message.replace("[", r"\[")) as failed:
        run(*args)
    assert failed.value.returncode == 2  # a usage error


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--since", "2026-01-01"], "--since does"),
        (["--until", "garbage"], "--until does"),
        (["--format", "xml"], "--format does"),
        (["--format", "csv", "--since", "2026-01-01"], "--since, --format do"),
    ],
)
def test_a_receipt_refuses_the_options_that_do_not_apply_to_it(args, named):
    """Not ignored: a receipt is one record, as JSON, whatever the dates and format said."""
    record = ConsentRecordFactory()
    out = io.StringIO()
    with pytest.raises(CommandError, match=f"{named} not apply to it") as failed:
        call_command("cookieconsent_export", "--receipt", str(record.consent_id), *args, stdout=out)
    assert failed.value.returncode == 2
    assert out.getvalue() == ""


def test_records_the_orm_cannot_read_leave_every_other_read_once_in_order(monkeypatch):
    """Several, side by side and at the ends of chunks: each record is written once, in the
    export's order, the rest streamed on after the chunk that held them."""
    monkeypatch.setattr(export, "CHUNK_SIZE", 2)
    now = timezone.now()
    made = [ConsentRecordFactory(created_at=now - timedelta(hours=10 - n)) for n in range(9)]
    bad = [made[1], made[2], made[5], made[8]]
    column, value, _text = unreadable(2)  # categories: the order stays
    below_the_guard(
        f"UPDATE {TABLE} SET {column} = {value} WHERE id IN (%s, %s, %s, %s)",
        [r.pk for r in bad],
    )
    with pytest.raises(CommandError) as failed:
        run("--format", "jsonl")
    assert f"4 records ({', '.join(str(r.pk) for r in bad[:3])} and 1 more) hold" in str(
        failed.value
    )
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("cookieconsent_export", "--format", "jsonl", stdout=out, stderr=io.StringIO())
    hashes = [json.loads(line)["chain_hash"] for line in out.getvalue().splitlines()]
    assert hashes == [r.chain_hash for r in made]


@pytest.mark.parametrize("case", [0, 1, 2])
def test_a_record_the_orm_cannot_read_is_exported_as_stored_and_named(tmp_path, case):
    """Changed below the ORM into a value it cannot read back: the export goes on past it, writes
    it as the database holds it, names it and exits 1 (docs/commands.md)."""
    first = ConsentRecordFactory(created_at=timezone.now() - timedelta(days=1))
    bad = ConsentRecordFactory(created_at=timezone.now() - timedelta(hours=1))
    last = ConsentRecordFactory()
    column, text = make_unreadable(bad, case)
    target = tmp_path / "consent.jsonl"
    with pytest.raises(CommandError) as failed:
        run("--format", "jsonl", "-o", str(target))
    assert failed.value.returncode == 1
    assert f"1 record ({bad.pk}) holds values that cannot be read back" in str(failed.value)
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(lines) == 3
    ids = {line["consent_id"] for line in lines}
    assert {str(first.consent_id), str(last.consent_id)} <= ids
    stored = next(line for line in lines if line["chain_hash"] == bad.chain_hash)
    assert stored[{field: name for name, field in export.COLUMNS}[column]] == text
    with pytest.raises(CommandError):  # CSV too
        run("-o", str(tmp_path / "consent.csv"))
    with (tmp_path / "consent.csv").open(encoding="utf-8") as file:
        assert len(list(csv.DictReader(file))) == 3


def test_stream_refuses_unknown_formats():
    from cookieconsent.models import ConsentRecord

    with pytest.raises(ValueError, match="Unknown format"):
        list(export.stream(ConsentRecord.objects.all(), "xml"))


def test_values_are_written_as_text_numbers_and_lists():
    moment = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    assert export._value(moment) == "2026-03-01T12:00:00+00:00"
    assert export._value(("a", "b")) == ["a", "b"]
    assert export._value(None) == ""
    assert export._value(3) == 3
    assert export._value("x") == "x"


@pytest.mark.parametrize("first", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_a_spreadsheet_would_run_begin_with_a_quote(first):
    ConsentRecordFactory(user_agent=first + 'HYPERLINK("http://evil.example")', page_url="/a")
    row = next(csv.DictReader(io.StringIO(run())))
    assert row["user_agent"] == "'" + first + 'HYPERLINK("http://evil.example")'
    assert row["page"] == "/a"  # other cells are left as they are
    line = json.loads(run("--format", "jsonl"))
    assert line["user_agent"] == first + 'HYPERLINK("http://evil.example")'  # JSON stays raw


def test_list_cells_that_a_spreadsheet_would_run_begin_with_a_quote():
    """Categories are written space-separated, then neutralised like any other cell."""
    ConsentRecordFactory(granted=['=HYPERLINK("http://evil.example")'], refused=["-x", "analytics"])
    row = next(csv.DictReader(io.StringIO(run())))
    assert row["granted"] == "'" + '=HYPERLINK("http://evil.example")'
    assert row["refused"] == "'-x analytics"


def test_cell_neutralising_keeps_numbers_and_plain_text():
    assert export._csv_cell(-3) == -3
    assert export._csv_cell("analytics functional") == "analytics functional"
    assert export._csv_cell("") == ""
    assert export._csv_cell("a=b") == "a=b"
    assert export._csv_cell("=1+1") == "'=1+1"


def test_a_cell_that_begins_with_a_quote_is_quoted_too():
    """So that ``=x`` and ``'=x`` stay two values: the first ``'`` of a cell that has one is
    the export's, and taking it off gives the value back (docs/console.md)."""
    ConsentRecordFactory(user_agent="'=x")
    ConsentRecordFactory(user_agent="=x")
    ConsentRecordFactory(user_agent="'plain")
    cells = [row["user_agent"] for row in csv.DictReader(io.StringIO(run()))]
    assert cells == ["''=x", "'=x", "''plain"]
    assert [cell[1:] if cell.startswith("'") else cell for cell in cells] == [
        "'=x",
        "=x",
        "'plain",
    ]


def test_the_docs_script_verifies_an_export_of_a_purged_chain(tmp_path):
    """Run for real on ``cookieconsent_export --format jsonl``: non-ASCII values, a time
    without microseconds, and a purge that left two runs (a record imported with an older
    date), given the checkpoints as the docs say."""
    now = timezone.now()
    for days in (400, 399, 1, 500):  # the last imported late, with an older date
        ConsentRecordFactory(created_at=now - timedelta(days=days))
    ConsentRecordFactory(
        granted=["analytics"], page_url="/ä?x=1\u2028y", user_agent="Tëst 😀", user_pk="7"
    )
    ConsentRecordFactory(created_at=now.replace(microsecond=0) + timedelta(seconds=1))
    assert ConsentRecord.objects.purge_older_than(now - timedelta(days=365)) == 3
    assert ChainCheckpoint.objects.count() == 2
    call_command(
        "cookieconsent_export", "--format", "jsonl", "-o", str(tmp_path / "consent.jsonl"),
        stderr=io.StringIO(),
    )  # fmt: skip
    hashes = ChainCheckpoint.objects.values_list("hash", flat=True)
    (tmp_path / "checkpoints.txt").write_text("\n".join(hashes) + "\n")
    (tmp_path / "check.py").write_text(auditors_script(), encoding="utf-8")
    ran = subprocess.run(
        [sys.executable, "check.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr
    # A record changed in the file is still found.
    jsonl = tmp_path / "consent.jsonl"
    jsonl.write_text(jsonl.read_text(encoding="utf-8").replace("Tëst", "Test"), encoding="utf-8")
    ran = subprocess.run(
        [sys.executable, "check.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert ran.returncode == 1 and "AssertionError" in ran.stderr
