"""The operator's console in the admin: Statistics, export, and the undeclared cookies."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client, override_settings
from django.utils import timezone

from cookieconsent.console import discovery, stats
from cookieconsent.engine import registry
from cookieconsent.models import (
    Action,
    ConsentRecord,
    Cookie,
    CookieCategory,
    CountedDay,
    DailyCategoryChoices,
    DailyDecisions,
    UndeclaredCookie,
)
from tests.factories import ConsentRecordFactory, UserFactory
from tests.helpers import admin_url as url
from tests.helpers import cookie_form, publish_draft

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_earlier_sightings")]


STATS = "/admin/cookieconsent/dailydecisions/"
RECORDS = "/admin/cookieconsent/consentrecord/"
EXPORT = RECORDS + "export/"
UNDECLARED = "/admin/cookieconsent/undeclaredcookie/"


def decide(client: Client, action: str, categories: list[str] | None = None) -> None:
    data: dict[str, object] = {"action": action}
    if categories is not None:
        data["categories"] = categories
    response = Client().post("/cookies/consent/", data)
    assert response.status_code == 302


def add_counts(day: dt.date, action: str, n: int, version: int = 1, region: str = "") -> None:
    """Counts of a day that is counted already (as ``stats.roll_up()`` leaves it)."""
    DailyDecisions.objects.create(
        day=day, action=action, policy_version=version, region=region, decisions=n
    )
    CountedDay.objects.get_or_create(day=day)


# -- statistics ------------------------------------------------------------------------------


def test_a_day_is_counted_once_it_is_over(staff, categories):
    decide(staff, "accept_all")
    decide(staff, "custom", ["functional"])
    decide(staff, "reject_all")
    today = timezone.localdate()
    # The endpoint wrote the records and nothing else; the page counts today from them.
    assert not DailyDecisions.objects.exists()
    assert staff.get(STATS).context["stats"].totals == {
        "accept_all": 1,
        "custom": 1,
        "reject_all": 1,
    }
    assert not CountedDay.objects.exists()  # today is not over
    tomorrow = timezone.now() + dt.timedelta(days=1)
    assert stats.roll_up(tomorrow + stats.SETTLE) == [today]
    counts = dict(DailyDecisions.objects.filter(day=today).values_list("action", "decisions"))
    assert counts == {"accept_all": 1, "custom": 1, "reject_all": 1}
    choices = {
        c.category: (c.granted, c.refused) for c in DailyCategoryChoices.objects.filter(day=today)
    }
    assert choices == {"analytics": (1, 2), "functional": (2, 1)}
    assert stats.roll_up(tomorrow + stats.SETTLE) == []  # counted once
    assert str(CountedDay.objects.get()) == today.isoformat()


def test_the_page_adds_today_to_the_counted_days_without_counting_twice(staff, categories):
    # A day is counted once it is over and settled: a record a day and SETTLE ago lies in a
    # day that is, even in the first minutes after midnight.
    earlier = timezone.now() - dt.timedelta(days=1) - stats.SETTLE
    ConsentRecordFactory(created_at=earlier, action=Action.REJECT_ALL)
    decide(staff, "accept_all")
    data = staff.get(STATS, {"period": "7"}).context["stats"]
    assert data.totals == {"reject_all": 1, "accept_all": 1}
    assert list(CountedDay.objects.values_list("day", flat=True)) == [stats.local_day(earlier)]
    again = staff.get(STATS, {"period": "7"}).context["stats"]
    assert again.totals == data.totals


def test_a_period_that_starts_on_the_last_day_counted_includes_it(staff, categories):
    day = timezone.localdate() - dt.timedelta(days=3)
    add_counts(day, Action.ACCEPT_ALL, 4)
    shown = staff.get(STATS, {"period": "dates", "since": day, "until": day}).context["stats"]
    assert shown.totals == {"accept_all": 4}


def test_the_statistics_page_is_on_the_app_index_and_the_records_list(staff, categories):
    index = staff.get("/admin/cookieconsent/").content.decode()
    assert STATS in index
    assert "Consent statistics" in index
    assert STATS in staff.get(RECORDS).content.decode()


def test_the_statistics_page_shows_charts_with_tables(staff, categories):
    decide(staff, "accept_all")
    decide(staff, "accept_all")
    decide(staff, "custom", ["functional"])
    decide(staff, "reject_all")
    response = staff.get(STATS)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg class="cc-chart"') == 3  # per day, opt-in rates, versions
    assert 'role="img"' in html
    assert "<script" not in html.split('id="content-main"')[1]  # server-rendered, no JS
    assert "4 decisions from" in html
    data = response.context["stats"]
    assert data.totals == {"accept_all": 2, "custom": 1, "reject_all": 1}
    rates = {name: rate for name, _, _, rate in response.context["rates"]}
    assert rates == {"Functional": 0.75, "Analytics": 0.5}
    assert "<td>75 %</td>" in html
    assert response.context["version_rows"][0][0] == "Version 1"
    assert "By region" not in html  # no region in any count yet


def rate_rows(html: str) -> list[tuple[str, str, str, str]]:
    """The rows of the opt-in rates' table: name, granted, refused, rate."""
    table = html.split('id="cc-rates"')[1].split("</table>")[0]
    return re.findall(
        r'<tr><th scope="row">([^<]*)</th><td>(\d+)</td><td>(\d+)</td><td>([^<]*)</td>', table
    )


def test_the_opt_in_rates_are_of_the_published_categories_not_the_drafts(staff, categories):
    ConsentRecordFactory.create_batch(3, granted=["analytics"], refused=["functional"])
    before = rate_rows(staff.get(STATS).content.decode())
    assert before == [("Functional", "0", "3", "0 %"), ("Analytics", "3", "0", "100 %")]
    # Deleted and renamed in the draft, not published: visitors are still offered both.
    Cookie.objects.filter(category__slug="analytics").delete()
    CookieCategory.objects.filter(slug="analytics").delete()
    CookieCategory.objects.filter(slug="functional").update(name="Comfort", required=True)
    assert rate_rows(staff.get(STATS).content.decode()) == before
    publish_draft()
    after = rate_rows(staff.get(STATS).content.decode())
    assert after == [
        ("Analytics (no longer offered)", "3", "0", "100 %"),
        ("Functional (no longer offered)", "0", "3", "0 %"),  # strictly necessary now
    ]


def test_a_category_offered_without_a_decision_in_the_period_has_no_rate(staff, categories):
    ConsentRecordFactory(granted=["analytics"], refused=["functional"])
    CookieCategory.objects.create(slug="marketing", name="Marketing", order=9)
    publish_draft()
    rows = rate_rows(staff.get(STATS).content.decode())
    assert ("Marketing", "0", "0", "-") in rows


@pytest.mark.usefixtures("by_accept_language")
def test_the_opt_in_rates_name_the_categories_in_the_admins_language(staff, categories):
    for slug, name in [("analytics", "Analise"), ("functional", "Funksioneel")]:
        category = categories[slug]
        category.translations = {"af": {"name": name, "purpose": ""}}
        category.save()
    publish_draft()
    ConsentRecordFactory(policy_version=2, granted=["analytics"], refused=["functional"])
    Cookie.objects.filter(category__slug="analytics").delete()
    CookieCategory.objects.filter(slug="analytics").delete()
    publish_draft()
    html = staff.get(STATS, headers={"accept-language": "af"}).content.decode()
    assert rate_rows(html) == [
        ("Funksioneel", "0", "1", "0 %"),
        ("Analise (nie meer aangebied nie)", "1", "0", "100 %"),
    ]


def test_periods_and_weeks(staff, categories):
    today = timezone.localdate()
    add_counts(today, Action.ACCEPT_ALL, 5)
    add_counts(today - dt.timedelta(days=20), Action.REJECT_ALL, 7)
    add_counts(today - dt.timedelta(days=60), Action.GPC, 11, version=2)
    last7 = staff.get(STATS, {"period": "7"}).context["stats"]
    assert last7.total == 5
    assert len(last7.series) == 7
    last90 = staff.get(STATS, {"period": "90", "by": "week"}).context
    assert last90["stats"].total == 23
    assert all(b.weekday() == 0 for b in last90["stats"].series)
    assert [row[0] for row in last90["version_rows"]] == ["Version 1", "Version 2"]
    since = today - dt.timedelta(days=61)
    dates = staff.get(
        STATS, {"period": "dates", "since": since.isoformat(), "until": since.isoformat()}
    ).context["stats"]
    assert dates.total == 0
    dates = staff.get(
        STATS,
        {"period": "dates", "since": since, "until": since + dt.timedelta(1)},
    ).context["stats"]
    assert dates.totals == {"gpc": 11}


@pytest.mark.parametrize(
    "query",
    [
        {"period": "dates", "since": "2026-02-01", "until": "2026-01-01"},
        {"period": "dates", "since": "2026-02-01"},
        {"period": "dates", "since": "not a date", "until": "2026-01-01"},
        {"period": "dates", "since": "2000-01-01", "until": "2026-01-01"},
        {"period": "365"},
    ],
)
def test_bad_periods_fall_back_to_30_days_with_the_error(staff, categories, query):
    response = staff.get(STATS, query)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["period"].days == 30


@pytest.mark.parametrize(
    "query",
    [
        {"period": "dates", "since": "9999-12-01", "until": "9999-12-31"},
        {"period": "dates", "since": "0001-01-01", "until": "0001-01-02"},
        {"period": "dates", "since": "0001-01-01", "until": "0001-01-02", "by": "week"},
        {"since": "9999-12-01"},
        {"since": "0001-01-01"},
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_an_error_not_a_crash(staff, categories, query):
    response = staff.get(STATS, query)
    assert response.status_code == 200
    assert "Choose a date between 1900-01-01 and 9998-12-31." in response.content.decode()
    assert response.context["period"].days == 30


def test_every_action_shows_its_translated_label(staff, categories):
    today = timezone.localdate()
    for action in Action:
        add_counts(today, action, 1)
    response = staff.get(STATS)
    assert response.context["stats"].actions == [(a.value, a.label) for a in Action]
    html = response.content.decode()
    assert "Dismissed the notice" in html
    # Each action has its own colour in the legend (none falls back to grey).
    assert "#999999" not in html
    assert '<th scope="col">dismiss</th>' not in html


@pytest.mark.usefixtures("by_accept_language")
@pytest.mark.parametrize(
    ("language", "by", "first"),
    [
        ("en", "day", "01 Oct"),
        ("af", "day", "01 Okt"),
        ("en", "week", "week of 29 Sep"),
        ("af", "week", "week van 29 Sept"),
    ],
)
def test_days_and_weeks_are_named_in_the_admins_language(staff, categories, language, by, first):
    add_counts(dt.date(2025, 10, 1), Action.ACCEPT_ALL, 3)
    query = {"period": "dates", "since": "2025-10-01", "until": "2025-10-03", "by": by}
    response = staff.get(STATS, query, headers={"accept-language": language})
    html = response.content.decode()
    assert f'lang="{language}"' in html
    rows = response.context["decision_rows"]
    assert rows[0][0] == first
    assert f'<th scope="row">{first}</th>' in html
    if language == "af":
        assert "Oct" not in html.split('id="content-main"')[1]  # the chart's labels too


def test_regions_get_their_own_split_once_counts_have_them(staff, categories):
    today = timezone.localdate()
    add_counts(today, Action.ACCEPT_ALL, 3, region="EU")
    add_counts(today, Action.REJECT_ALL, 1, region="ZA")
    html = staff.get(STATS).content.decode()
    assert "By region" in html
    assert html.count('<svg class="cc-chart"') == 3  # no category choices: a sentence instead


def test_statistics_need_the_view_permission(client, categories):
    user = UserFactory(is_staff=True)
    client.force_login(user)
    assert client.get(STATS).status_code == 403


def test_statistics_cannot_be_added_changed_or_deleted(staff, categories):
    assert staff.get(STATS + "add/").status_code == 403


# -- export ----------------------------------------------------------------------------------


def test_export_streams_the_filtered_records_as_csv(staff, categories):
    decide(staff, "accept_all")
    decide(staff, "reject_all")
    decide(staff, "reject_all")
    response = staff.get(EXPORT, {"format": "csv", "action__exact": "reject_all"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="consent-records-' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 2
    record = ConsentRecord.objects.filter(action="reject_all").order_by("created_at").first()
    assert rows[0]["consent_id"] == str(record.consent_id)
    assert rows[0]["action"] == "reject_all"
    assert rows[0]["refused"] == "analytics functional"
    assert rows[0]["granted"] == ""
    assert rows[0]["policy_version"] == str(record.policy_version)
    assert rows[0]["snapshot_hash"] == record.snapshot_hash
    assert rows[0]["page"] == "/"
    assert rows[0]["ip_hash"] == record.ip_hash
    assert dt.datetime.fromisoformat(rows[0]["time"]) == record.created_at


def test_export_as_json_lines(staff, categories):
    decide(staff, "custom", ["analytics"])
    response = staff.get(EXPORT, {"format": "jsonl"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 1
    row = json.loads(lines[0])
    assert row["granted"] == ["analytics"]
    assert row["refused"] == ["functional"]
    assert row["action"] == "custom"


def test_the_changelist_links_to_the_export_with_its_filters(staff, categories):
    html = staff.get(RECORDS, {"action__exact": "gpc"}).content.decode()
    assert f"{EXPORT}?format=csv&amp;action__exact=gpc" in html
    assert f"{EXPORT}?format=jsonl&amp;action__exact=gpc" in html


def test_export_refuses_unknown_formats_and_filters(staff, categories):
    assert staff.get(EXPORT, {"format": "xml"}).status_code == 400
    assert staff.get(EXPORT, {"format": "csv", "nonsense__exact": "1"}).status_code == 400


def test_export_needs_the_view_permission(client, categories):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(EXPORT).status_code == 403
    client.logout()
    assert client.get(EXPORT).status_code == 302  # to the login page


def test_export_needs_its_own_permission(client, categories):
    ConsentRecordFactory()
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_consentrecord"))
    client.force_login(viewer)
    # Viewing the log is not exporting all of it: no buttons, and the URL refuses.
    assert client.get(RECORDS).status_code == 200
    assert EXPORT not in client.get(RECORDS).content.decode()
    assert client.get(EXPORT, {"format": "csv"}).status_code == 403
    assert client.get(EXPORT, {"format": "jsonl"}).status_code == 403
    viewer.user_permissions.add(Permission.objects.get(codename="export_consentrecord"))
    viewer = type(viewer).objects.get(pk=viewer.pk)  # a fresh permission cache
    client.force_login(viewer)
    assert EXPORT in client.get(RECORDS).content.decode()
    response = client.get(EXPORT, {"format": "csv"})
    assert response.status_code == 200
    assert (
        len(list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))) == 1
    )


def test_export_alone_without_the_view_permission_is_refused(client, categories):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="export_consentrecord"))
    client.force_login(user)
    assert client.get(EXPORT).status_code == 403


FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_export_neutralises_formulas_in_csv_cells_but_not_in_json_lines(staff, categories):
    for agent in FORMULAS:
        ConsentRecordFactory(user_agent=agent, page_url="=cmd|' /C calc'!A0", policy_version=3)
    response = staff.get(EXPORT, {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(r["user_agent"] for r in rows) == sorted("'" + f for f in FORMULAS)
    assert {r["page"] for r in rows} == {"'=cmd|' /C calc'!A0"}
    assert {r["policy_version"] for r in rows} == {"3"}  # our own numbers stay numbers
    response = staff.get(EXPORT, {"format": "jsonl"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert sorted(json.loads(line)["user_agent"] for line in lines) == sorted(FORMULAS)


@pytest.mark.parametrize(
    "drilldown",
    [
        {"created_at__year": "99999999999999"},
        {"created_at__year": "9999"},
        {"created_at__year": "1"},
        {"created_at__year": "2026", "created_at__month": "13"},
        {"created_at__year": "9999", "created_at__month": "12", "created_at__day": "31"},
    ],
)
def test_impossible_date_drilldowns_are_refused_with_a_message(staff, categories, drilldown):
    ConsentRecordFactory()
    response = staff.get(EXPORT, {"format": "csv", **drilldown})
    assert response.status_code == 400
    assert "The date is out of range" in response.content.decode()
    listed = staff.get(RECORDS, {"action__exact": "reject_all", **drilldown}, follow=True)
    assert listed.status_code == 200
    assert listed.redirect_chain == [(RECORDS + "?action__exact=reject_all", 302)]
    assert "The date is out of range" in listed.content.decode()
    assert len(listed.context["cl"].result_list) == 1  # the rest of the filters still apply


# -- undeclared cookies -----------------------------------------------------------------------


def undeclared(*names: str, max_age: int | None = None) -> list[UndeclaredCookie]:
    return [
        UndeclaredCookie.objects.create(
            name=n, source="response", example_path="/x/", max_age=max_age
        )
        for n in names
    ]


@pytest.fixture
def database():
    """The few rows of tests/console/cookie-database.csv (the Open Cookie Database's layout)."""
    from pathlib import Path

    path = Path(__file__).parent.parent / "console" / "cookie-database.csv"
    with override_settings(COOKIECONSENT={"COOKIE_DATABASE": str(path)}):
        yield path


def declare_page(client: Client, found: list[UndeclaredCookie]):
    page = client.post(UNDECLARED, {"action": "declare", "_selected_action": [f.pk for f in found]})
    assert page.status_code == 200
    return page


def rows(page) -> dict[str, dict[str, object]]:
    """What each row of the declare page shows, by the name it proposes."""
    return {
        form["name"].value(): {field: form[field].value() for field in form.fields}
        for form in page.context["formset"]
    }


def submit(client: Client, page, **changes: dict[str, object]):
    """Post the declare page as shown, with ``changes`` to the rows named (by their
    proposed name): what staff do after checking the prefilled values."""
    formset = page.context["formset"]
    data: dict[str, object] = {
        "action": "declare",
        "_selected_action": [f.pk for f in page.context["queryset"]],
        "apply": "Declare",
    }
    management = formset.management_form
    for key in management.fields:
        data[management.add_prefix(key)] = management[key].value()
    for form in formset:
        values = {field: form[field].value() for field in form.fields}
        values.update(changes.get(values["name"], {}))
        for field, value in values.items():
            data[form.add_prefix(field)] = "" if value is None else value
    return client.post(UNDECLARED, data, follow=True)


def declare(client: Client, found: list[UndeclaredCookie], category: object) -> str:
    """Declare every name shown in ``category``, as a session cookie where nothing is known."""
    page = declare_page(client, found)
    changes = {
        name: {"category": category, "lifetime": row["lifetime"] or "session"}
        for name, row in rows(page).items()
    }
    response = submit(client, page, **changes)
    assert response.status_code == 200
    return response.content.decode()


def test_the_undeclared_cookies_list(staff, categories, database):
    undeclared("_hjid", "_ga", "_ga_ABC123", "_ga_XYZ789", "_fbp")
    undeclared("_hjSessionUser_123", max_age=365 * 86400)
    html = staff.get(UNDECLARED).content.decode()
    assert "_hjid" in html and "Declare in a category" in html
    # What the database knows, and the pattern for names that differ by an ID.
    assert "Analytics · Google · 2 years" in html
    assert "Analytics · Google · 2 years as <code>_ga_*</code>" in html
    assert "Functional · Hotjar as <code>_hjSessionUser_*</code>" in html
    assert "Marketing (not a category here) · Meta · 3 months" in html  # none matches
    one = UndeclaredCookie.objects.get(name="_ga_ABC123")
    page = staff.get(f"{UNDECLARED}{one.pk}/change/").content.decode()
    assert "Analytics · Google · 2 years as <code>_ga_*</code>" in page
    assert '<td class="field-lifetime_seen">1 year</td>' in html
    assert staff.get(UNDECLARED + "add/").status_code == 403


def test_declare_keeps_the_lifetime_seen(staff, categories, database):
    """A one-year _ga was declared as a session cookie: the lifetime field came empty."""
    found = undeclared("_ga", max_age=365 * 86400)
    page = declare_page(staff, found)
    # Seen wins over the database's two years; the category and the rest are suggested.
    assert rows(page)["_ga"] == {
        "found": str(found[0].pk),
        "name": "_ga",
        "category": categories["analytics"].pk,
        "lifetime": "1 year",
        "provider": "Google",
        "purpose": "Tells visitors apart.",
    }
    assert 'value="1 year"' in page.content.decode()
    done = submit(staff, page)
    assert "Declared _ga in Analytics." in done.content.decode()
    cookie = Cookie.objects.get(name="_ga")
    assert (cookie.lifetime, cookie.provider, cookie.purpose) == (
        dt.timedelta(days=365),
        "Google",
        "Tells visitors apart.",
    )
    assert not UndeclaredCookie.objects.exists()


def test_an_unknown_lifetime_is_asked_for_never_taken_as_session(staff, categories):
    found = undeclared("keepme")  # only ever sent by browsers: no lifetime seen
    page = declare_page(staff, found)
    assert rows(page)["keepme"]["lifetime"] == ""
    again = submit(staff, page, keepme={"category": categories["functional"].pk})
    assert "Enter how long the browser keeps it, or “session”." in again.content.decode()
    assert not Cookie.objects.filter(name="keepme").exists()
    done = submit(
        staff, page, keepme={"category": categories["functional"].pk, "lifetime": "session"}
    )
    assert "Declared keepme in Functional." in done.content.decode()
    assert Cookie.objects.get(name="keepme").lifetime is None


def test_no_category_is_preselected_unless_one_is_suggested(staff, categories, database):
    found = undeclared("keepme", "_ga")
    page = declare_page(staff, found)
    html = page.content.decode()
    shown = rows(page)
    # Not the first category (Strictly necessary): none, and the form asks for one.
    assert shown["keepme"]["category"] is None
    assert shown["_ga"]["category"] == categories["analytics"].pk
    assert html.count('<option value="" selected>---------</option>') == 1
    assert html.count(f'<option value="{categories["analytics"].pk}" selected>') == 1
    again = submit(staff, page, keepme={"lifetime": "session"})
    assert "This field is required." in again.content.decode()
    assert not Cookie.objects.filter(name__in=["keepme", "_ga"]).exists()


def test_add_a_category_first_only_when_there_are_none(staff, categories, db):
    found = undeclared("keepme")
    assert "Add a category first" not in declare_page(staff, found).content.decode()
    Cookie.objects.all().delete()
    CookieCategory.objects.all().delete()
    html = declare_page(staff, found).content.decode()
    assert "There are no categories yet." in html
    assert 'href="/admin/cookieconsent/cookiecategory/add/">Add a category first' in html


def test_names_that_differ_by_an_id_are_declared_as_one_pattern(staff, categories, database):
    found = undeclared("shop_A1B2C3", "shop_D4E5F6", "_hjSessionUser_123", max_age=3600)
    undeclared("shop_Z9Y8X7")  # not selected: the pattern declares it too
    page = declare_page(staff, found)
    assert set(rows(page)) == {"shop_*", "_hjSessionUser_*"}
    html = page.content.decode()
    assert "<code>shop_A1B2C3</code>" in html and "<code>shop_D4E5F6</code>" in html
    done = submit(staff, page, **{"shop_*": {"category": categories["functional"].pk}})
    text = done.content.decode()
    assert "Declared _hjSessionUser_*, shop_* in Functional." in text
    assert set(
        Cookie.objects.filter(lifetime=dt.timedelta(hours=1)).values_list("name", flat=True)
    ) == {
        "shop_*",
        "_hjSessionUser_*",
    }
    assert not UndeclaredCookie.objects.exists()
    # Declared in the draft: once published the middleware judges them by their category.
    assert registry.get_registry().lookup("shop_anything") is None
    publish_draft()
    assert registry.get_registry().lookup("shop_anything").slug == "functional"


def test_declare_refuses_names_the_cookie_form_refuses(staff, categories):
    found = undeclared("*", "_*", "<b>x</b>", "sessionid_extra")
    html = declare(staff, found, categories["necessary"].pk)
    # The valid one is declared; the others stay in the inbox, each with the form's reason.
    assert "Declared sessionid_extra in Strictly necessary" in html
    assert not Cookie.objects.filter(name__in=["*", "_*", "<b>x</b>"]).exists()
    assert sorted(UndeclaredCookie.objects.values_list("name", flat=True)) == [
        "*",
        "<b>x</b>",
        "_*",
    ]
    assert "Did not declare “*”:" in html and "is not a usable pattern" in html
    assert "Did not declare “_*”:" in html and "too broad for a strictly necessary" in html
    assert "<b>x</b>" not in html  # escaped, never markup
    assert "Did not declare “&lt;b&gt;x&lt;/b&gt;”:" in html
    # An undecided visitor is still refused an analytics cookie, and the category still saves.
    assert registry.get_registry().lookup("_fbp") is None
    assert Cookie.objects.get(name="sessionid_extra").category.slug == "necessary"


def test_declare_refuses_a_framework_cookie_in_an_optional_category(staff, categories):
    found = undeclared("csrftoken")
    html = declare(staff, found, categories["analytics"].pk)
    assert "Did not declare “csrftoken”:" in html
    assert "cannot be declared in an optional category" in html
    assert not Cookie.objects.filter(name="csrftoken").exists()
    assert UndeclaredCookie.objects.filter(name="csrftoken").exists()


def test_declare_a_name_declared_meanwhile_leaves_it_where_it_is(staff, categories):
    found = undeclared("prefs")  # declared in Functional by the fixture
    html = declare(staff, found, categories["analytics"].pk)
    assert "“prefs” is already declared in Functional." in html
    assert Cookie.objects.get(name="prefs").category.slug == "functional"
    assert not UndeclaredCookie.objects.exists()


def test_declaring_under_a_declared_name_keeps_an_entry_it_does_not_cover(staff, categories):
    """“tracker” renamed to the declared “prefs” is not declared by it: it stays listed (it
    left the list, still undeclared)."""
    page = declare_page(staff, undeclared("tracker"))
    response = submit(
        staff,
        page,
        tracker={"name": "prefs", "category": categories["analytics"].pk, "lifetime": "1 year"},
    )
    assert "“prefs” is already declared in Functional." in response.content.decode()
    assert UndeclaredCookie.objects.filter(name="tracker").exists()
    assert Cookie.objects.get(name="prefs").category.slug == "functional"


def test_declare_needs_the_permission_to_add_cookies(client, categories):
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_undeclaredcookie", "change_undeclaredcookie"])
    )
    client.force_login(user)
    found = undeclared("_hjid")
    response = client.post(UNDECLARED, {"action": "declare", "_selected_action": [found[0].pk]})
    assert response.status_code == 403
    assert not Cookie.objects.filter(name="_hjid").exists()


def test_declare_without_a_valid_category_shows_the_page_again(staff, categories):
    found = undeclared("_hjid")
    # No category has the pk 0; 999 does, on PostgreSQL, once enough tests have used its
    # sequence.
    page = declare_page(staff, found)
    again = submit(staff, page, _hjid={"category": "0", "lifetime": "1 year"})
    assert again.status_code == 200
    assert "Select a valid choice" in again.content.decode()
    assert UndeclaredCookie.objects.count() == 1


def test_declare_refuses_rows_for_entries_not_selected(staff, categories):
    found = undeclared("_hjid", "other")
    page = declare_page(staff, found[:1])
    other = str(found[1].pk)
    again = submit(staff, page, _hjid={"found": other, "category": categories["analytics"].pk})
    assert "The form was changed: start again." in again.content.decode()
    assert (
        UndeclaredCookie.objects.count() == 2 and not Cookie.objects.filter(name="_hjid").exists()
    )


def test_dismiss(staff, categories):
    found = undeclared("_hjid", "_fbp")
    staff.post(UNDECLARED, {"action": "dismiss", "_selected_action": [found[0].pk]})
    assert list(UndeclaredCookie.objects.filter(dismissed=True).values_list("name", flat=True)) == [
        "_hjid"
    ]
    assert "_fbp" in staff.get(UNDECLARED, {"dismissed__exact": "0"}).content.decode()


def test_staff_who_may_only_view_cannot_dismiss(viewer, categories):
    found = undeclared("_hjid")
    viewer.post(UNDECLARED, {"action": "dismiss", "_selected_action": [found[0].pk]})
    assert not UndeclaredCookie.objects.filter(dismissed=True).exists()
    assert 'value="dismiss"' not in viewer.get(UNDECLARED).content.decode()


def test_a_names_page_shows_what_was_seen_and_lets_nobody_change_it(staff, categories):
    """Its page had a box of raw seconds labelled "Lifetime seen" above the same lifetime in
    words, and Save wrote what was typed into it over what the site was seen to do."""
    found = UndeclaredCookie.objects.create(
        name="_gcl_au", source="response", example_path="/", max_age=7_884_000
    )
    page = staff.get(url("undeclaredcookie", "change", found.pk)).content.decode()
    assert 'name="max_age"' not in page
    assert page.count("Lifetime seen:") == 1 and "91 days" in page
    staff.post(url("undeclaredcookie", "change", found.pk), {"max_age": "1"})
    found.refresh_from_db()
    assert found.max_age == 7_884_000


def test_opened_without_a_choice_the_period_menu_says_what_is_shown(staff, categories):
    """It showed 30 days while the menu read "Last 7 days", its first option."""
    response = staff.get(STATS)
    period = response.context["period"]
    assert period.days == 30
    assert '<option value="30" selected>' in response.content.decode()


def test_declaring_with_a_lifetime_too_long_is_the_forms_error(staff, categories):
    page = declare_page(staff, undeclared("tracker"))
    response = submit(
        staff,
        page,
        tracker={"category": categories["analytics"].pk, "lifetime": "3000000 years"},
    )
    assert response.status_code == 200
    assert "A lifetime can be at most 100 years." in response.content.decode()
    assert UndeclaredCookie.objects.filter(name="tracker").exists()


@pytest.mark.parametrize("key", ["theme:dark", "@app/state", "a key with spaces", " theme "])
@pytest.mark.parametrize("technology", ["local_storage", "session_storage"])
def test_a_listed_storage_key_can_be_declared(staff, categories, key, technology):
    """A storage key is no HTTP token (“theme:dark”): the inbox lists it, so it can be
    declared, and the script then clears it when its category is refused."""
    assert discovery.record(key, source="scan", technology=technology, path="/")
    page = declare_page(staff, list(UndeclaredCookie.objects.filter(name=key)))
    submit(staff, page, **{key: {"category": categories["functional"].pk, "lifetime": "1 year"}})
    assert Cookie.objects.get(name=key, technology=technology).category.slug == "functional"
    assert not UndeclaredCookie.objects.filter(name=key).exists()


def test_spaces_typed_around_a_cookie_name_are_dropped(staff, categories):
    """A cookie's name has none around it (browsers drop them); a storage key may."""
    page = declare_page(staff, undeclared("tracker"))
    change = {"name": " tracker ", "category": categories["analytics"].pk, "lifetime": "1 year"}
    assert "Declared tracker in Analytics" in submit(staff, page, tracker=change).content.decode()
    assert not UndeclaredCookie.objects.exists()


def test_an_http_cookie_still_needs_a_cookie_name(staff, categories):
    data = cookie_form(categories["functional"], name="theme:dark", lifetime="1 year")
    response = staff.post(url("cookie", "add"), data)
    assert response.status_code == 200
    assert "is not a valid cookie name" in response.content.decode()
    storage = {**data, "technology": "local_storage"}
    assert staff.post(url("cookie", "add"), storage).status_code == 302
    assert Cookie.objects.filter(name="theme:dark", technology="local_storage").exists()
