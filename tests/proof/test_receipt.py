"""The consent receipt in the ISO/IEC TS 27560 shape (``proof.receipt``): from the admin and
from ``cookieconsent_export --receipt``, its mapping of each action, its link into the chain,
and none for a record changed after it was written."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils.html import escape

from cookieconsent.models import ConsentRecord
from cookieconsent.proof import export
from tests.factories import ConsentRecordFactory, UserFactory
from tests.proof.test_chain import CONSENT, TABLE, below_the_guard, make_unreadable

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]

RECORDS = "/admin/cookieconsent/consentrecord/"


def test_the_admin_gives_a_records_receipt(client, staff):
    client.post(CONSENT, {"action": "custom", "categories": ["functional"]})
    record = ConsentRecord.objects.get()
    page = staff.get(f"/admin/cookieconsent/consentrecord/{record.pk}/change/").content.decode()
    link = f"/admin/cookieconsent/consentrecord/{record.pk}/receipt/"
    assert f'href="{link}"' in page
    response = staff.get(link)
    assert response["Content-Type"].startswith("application/json")
    assert f"receipt-{record.consent_id}.json" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["schemaVersion"] == "ISO/IEC TS 27560:2023"
    assert data["recordId"] == str(record.consent_id)
    assert data["piiPrincipalId"] == record.user_pk  # the signed-in staff user
    assert data["presentedNotice"]["hash"]["value"] == record.snapshot_hash
    assert data["piiControllers"][0]["contact"] == "privacy@example.com"
    assert [(p["purposeId"], p["consentState"]) for p in data["purposes"]] == [
        ("functional", "given"),
        ("analytics", "refused"),
    ]
    assert data["event"][0]["eventState"] == "consent given"
    assert data["integrity"]["recordHash"] == record.chain_hash
    assert staff.get("/admin/cookieconsent/consentrecord/999999/receipt/").status_code == 404


def test_the_receipt_needs_the_view_permission(client, categories):
    record = ConsentRecordFactory()
    client.force_login(UserFactory(is_staff=True))
    response = client.get(f"/admin/cookieconsent/consentrecord/{record.pk}/receipt/")
    assert response.status_code == 403


def test_the_export_command_writes_a_receipt(tmp_path):
    record = ConsentRecordFactory(action="reject_all", refused=["analytics"])
    out = io.StringIO()
    call_command("cookieconsent_export", "--receipt", str(record.consent_id), stdout=out)
    data = json.loads(out.getvalue())
    assert data["recordId"] == str(record.consent_id)
    assert data["piiPrincipalId"] == str(record.consent_id)  # anonymous: the consent ID
    assert data["event"][0]["eventState"] == "consent refused"
    target = tmp_path / "receipt.json"
    call_command(
        "cookieconsent_export", "--receipt", str(record.consent_id), "-o", str(target),
        stderr=io.StringIO(),
    )  # fmt: skip
    assert json.loads(target.read_text()) == data
    for bad in ("nope", "", " "):
        out = io.StringIO()
        with pytest.raises(CommandError, match="is not a consent ID") as failed:
            call_command("cookieconsent_export", "--receipt", bad, stdout=out)
        assert failed.value.returncode == 2  # a usage error
        assert out.getvalue() == ""  # not the whole log instead
    with pytest.raises(CommandError, match="No consent record") as failed:
        call_command("cookieconsent_export", "--receipt", "0" * 32)
    assert failed.value.returncode == 1
    with pytest.raises(CommandError, match=r"Cannot write /nonexistent/r\.json") as failed:
        call_command(
            "cookieconsent_export", "--receipt", str(record.consent_id), "-o", "/nonexistent/r.json"
        )
    assert failed.value.returncode == 2


@pytest.mark.parametrize(
    ("action", "state", "kind"),
    [
        ("accept_all", "consent given", "explicit"),
        ("custom", "consent given", "explicit"),
        ("preferences", "consent given", "explicit"),
        ("reject_all", "consent refused", "explicit"),
        ("gpc", "consent refused", "explicit"),
        ("dismiss", "notice acknowledged", "notice"),
    ],
)
def test_the_receipt_states_each_action_and_links_into_the_chain(action, state, kind):
    """docs/proof.md's mapping: each action's event state and type, and the record's link and
    hash, to check the receipt against the chain."""
    before = ConsentRecordFactory()
    record = ConsentRecordFactory(action=action)
    out = io.StringIO()
    call_command("cookieconsent_export", "--receipt", str(record.consent_id), stdout=out)
    data = json.loads(out.getvalue())
    event = data["event"][0]
    assert (event["eventState"], event["eventType"], event["action"]) == (state, kind, action)
    assert data["integrity"] == {
        "algorithm": "SHA-256",
        "previousHash": before.chain_hash,
        "recordHash": record.chain_hash,
    }


@pytest.mark.parametrize("column", ["granted", "refused"])
def test_no_receipt_for_a_record_with_either_list_changed(column):
    target = ConsentRecordFactory(granted=["analytics"], refused=["functional"])
    below_the_guard(
        f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", ['{"analytics": false}', target.pk]
    )
    with pytest.raises(CommandError, match="not as it was written"):
        call_command("cookieconsent_export", "--receipt", str(target.consent_id))


@pytest.mark.parametrize(
    "now", [None, {"analytics": False}, ["analytics", 1]], ids=["null", "object", "not-slugs"]
)
def test_a_record_whose_categories_were_changed_is_shown_not_a_server_error(staff, now):
    """The admin's list, the receipt (admin and command) and the export of a record whose
    categories are not lists of slugs any more: no 500 or traceback, and no receipt that would
    misstate the choice."""
    target = ConsentRecordFactory(granted=["analytics"])
    text = json.dumps(now)
    below_the_guard(
        f"UPDATE {TABLE} SET granted = %s, refused = %s WHERE id = %s", [text, text, target.pk]
    )
    listing = staff.get("/admin/cookieconsent/consentrecord/")
    assert listing.status_code == 200
    assert escape(json.dumps(now, ensure_ascii=False)) in listing.content.decode()
    change = f"/admin/cookieconsent/consentrecord/{target.pk}/change/"
    response = staff.get(f"/admin/cookieconsent/consentrecord/{target.pk}/receipt/", follow=True)
    assert response.redirect_chain == [(change, 302)]
    assert "not as it was written" in response.content.decode()
    with pytest.raises(CommandError, match="not as it was written"):
        call_command("cookieconsent_export", "--receipt", str(target.consent_id))
    cells = next(csv.DictReader(io.StringIO("".join(export.stream(ConsentRecord.objects, "csv")))))
    assert cells["granted"] == ("" if now is None else json.dumps(now, ensure_ascii=False))
    line = "".join(export.stream(ConsentRecord.objects.all(), "jsonl"))
    assert json.loads(line)["granted"] == ("" if now is None else now)


@pytest.mark.parametrize("case", [0, 1, 2])
def test_a_record_the_orm_cannot_read_is_shown_as_stored_not_a_server_error(staff, case):
    """Changed below the ORM into a value it cannot read back (a consent ID that is no UUID,
    a time no datetime holds, ...): the admin's list and the record's page show it as the
    database holds it and say so, its receipt (admin and command) is refused with the reason,
    and the admin's export writes it as stored. No 500 or traceback."""
    ConsentRecordFactory()
    target = ConsentRecordFactory()
    column, text = make_unreadable(target, case)
    listing = staff.get(RECORDS)
    assert listing.status_code == 200
    page = listing.content.decode()
    assert page.count("changed in the database: run cookieconsent_verify") == 1
    if column in ("consent_id", "created_at"):
        assert escape(text) in page
    change = f"{RECORDS}{target.pk}/change/"
    response = staff.get(f"{RECORDS}{target.pk}/receipt/", follow=True)
    assert response.redirect_chain == [(change, 302)]
    shown = response.content.decode()
    assert "so no receipt can say what the visitor chose" in shown
    assert "is shown as the database holds it" in shown
    if connection.vendor == "postgresql":  # (SQLite's consent ID is the value changed)
        with pytest.raises(CommandError, match="cannot be read back as written") as failed:
            call_command("cookieconsent_export", "--receipt", str(target.consent_id))
        assert failed.value.returncode == 1
    response = staff.get(f"{RECORDS}export/?format=jsonl")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 2
    assert target.chain_hash in lines[0] + lines[1]
