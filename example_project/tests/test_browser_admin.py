"""The admin's busiest pages at 1,280 by 800 px in Chromium, signed in as a superuser: each page's
content fits its box with enough rows to matter. The screenshots of the staff guide are written
to docs/screenshots/ only with COOKIECONSENT_UPDATE_SCREENSHOTS=1."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from example_project.tests.test_browser import (  # noqa: F401  (fixtures)
    admin_page,
    browser,
    site,
)
from example_project.tests.test_browser_proof import shoot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

#: The boxes whose content must fit in them: the page's content, the changelist's table's
#: container, the Statistics page's tables; (where, content width, box width) of each that
#: overflows, and how many rows the changelist has.
OVERFLOWS = """() => {
  const boxes = document.querySelectorAll("#content, #changelist .results, .cc-table");
  const wide = [...boxes].filter(b => b.scrollWidth > b.clientWidth)
    .map(b => [b.id || b.className, b.scrollWidth, b.clientWidth]);
  return [wide, document.querySelectorAll("#result_list tbody tr").length,
          document.documentElement.scrollHeight];
}"""


LISTS = {"consent-records", "published-versions", "undeclared-cookies-list"}


def _fill() -> dict[str, str]:
    """Enough rows on each page to matter, with long values where they occur; the pages."""
    from django.utils import timezone

    from cookieconsent.models import (
        BannersShown,
        ConsentRecord,
        CookiePolicy,
        PublishedVersion,
        RegionRule,
        UndeclaredCookie,
    )
    from cookieconsent.publishing import publish

    policy = CookiePolicy.objects.get(is_current=True)
    RegionRule.objects.update_or_create(
        policy=policy, region="US-CA", defaults={"regime": "opt-out"}
    )
    publish(policy, published_by="a.very.long.staff.username@fluxems.example")
    version = PublishedVersion.objects.order_by("-number").first()
    assert version is not None
    now = timezone.now()
    actions = ("accept_all", "reject_all", "custom", "preferences", "dismiss")
    for n in range(30):
        custom = n % 2
        ConsentRecord.objects.create(
            consent_id=uuid.uuid4(),
            created_at=now - dt.timedelta(hours=7 * n),
            policy_version=version.number,
            published_version=version,
            language="en",
            snapshot_hash="0" * 64,
            granted=["functional"] if custom else ["functional", "analytics"],
            refused=["analytics"] if custom else [],
            action=actions[n % len(actions)],
            page_url="/workspace/",
            region=("US-CA", "ZA", "DE")[n % 3],
            regime="opt-out" if n % 3 == 0 else "opt-in",
        )
    for n in range(15):
        BannersShown.objects.create(day=timezone.localdate() - dt.timedelta(days=n), shown=9 + n)
    for n in range(20):
        UndeclaredCookie.objects.create(
            name=f"_hjSessionUser_{1000000 + n}",
            source="response",
            sightings=n + 1,
            example_path=f"/workspace/projects/{n}/boards/very-long-board-name/cards/?q=1",
        )
    return {
        "consent-records": "/admin/cookieconsent/consentrecord/",
        "published-versions": "/admin/cookieconsent/publishedversion/",
        "undeclared-cookies-list": "/admin/cookieconsent/undeclaredcookie/",
        "statistics": "/admin/cookieconsent/dailydecisions/",
        "policy-form": f"/admin/cookieconsent/cookiepolicy/{policy.pk}/change/",
    }


def test_admin_lists_and_statistics_fit_1280(admin_page, site):  # noqa: F811
    pages = _fill()
    too_wide = {}
    heights = {}
    for name, path in pages.items():
        admin_page.goto(f"{site}{path}")
        wide, rows, heights[name] = admin_page.evaluate(OVERFLOWS)
        if wide:
            too_wide[name] = wide
        if name in LISTS:
            assert rows >= 2, name  # enough rows to matter
        # The Statistics page's explanation, open for the staff guide's screenshot.
        admin_page.evaluate("document.querySelectorAll('.cc-help').forEach(d => d.open = true)")
        shoot(admin_page, name)
    unfolded = admin_page.evaluate(  # the policy form, the last page
        "document.querySelectorAll('details').forEach(d => d.open = true),"
        " document.documentElement.scrollHeight"
    )
    assert too_wide == {}
    # The rarely used parts of the policy form fold: it is 3,341 px long, 5,388 px with every
    # part unfolded (Chromium 156 with Debian's fonts; a ratio, as fonts change both).
    assert heights["policy-form"] < 0.7 * unfolded, (heights, unfolded)


def test_the_declare_page_fits_1280(admin_page, site):  # noqa: F811
    """Declare in a category… put a row's six columns (the purpose a 36-column box) in a table
    133 px wider than the content beside the admin's sidebar."""
    from cookieconsent.models import UndeclaredCookie

    for name, max_age in (
        ("_gcl_au", 7_884_000),
        ("_fbp", 7_776_000),
        ("_hjSessionUser_1000001", None),
        ("_hjSessionUser_1000002", None),
        ("a_very_long_cookie_name_a_vendor_widget_sets_9f8e7d6c", 3600),
    ):
        UndeclaredCookie.objects.create(
            name=name,
            source="response",
            example_path="/workspace/projects/1/boards/very-long-board-name/cards/?q=1",
            max_age=max_age,
        )
    admin_page.goto(f"{site}/admin/cookieconsent/undeclaredcookie/")
    admin_page.check("#action-toggle")
    admin_page.select_option("select[name=action]", "declare")
    admin_page.click("button[name=index]")
    admin_page.wait_for_selector("input[name=apply]")
    # The page's own stylesheet is what makes it fit: measured before it loads, the table
    # is 1,445 px wide.
    admin_page.wait_for_load_state("load")
    wide, _rows, _height = admin_page.evaluate(OVERFLOWS)
    assert wide == []
    assert admin_page.evaluate("document.documentElement.scrollWidth") <= 1280
