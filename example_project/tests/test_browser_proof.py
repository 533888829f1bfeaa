"""Publishing and the proof in a real browser, on the fluxems site: the publish preview, the
diff between two versions, a record's “what they saw” and the visitor's receipt. Screenshots
for the docs are written to docs/screenshots/ only with COOKIECONSENT_UPDATE_SCREENSHOTS=1."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

from example_project.tests.test_browser import (  # noqa: F401  (fixtures)
    ARTIFACTS,
    SCREENSHOTS,
    banner,
    browser,
    new_page,
    site,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=False)
    assert path.stat().st_size > 10_000
    if os.environ.get("COOKIECONSENT_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SCREENSHOTS / f"{name}.png")


def sign_in(page: Any, base: str) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("editor", "editor@example.com", "a long pass 1")
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a long pass 1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")


def test_publish_diff_what_they_saw_and_receipt(browser, site):  # noqa: F811
    from playwright.sync_api import expect

    from cookieconsent.models import ConsentRecord, CookiePolicy
    from cookieconsent.publishing import publish

    # A visitor decides, then keeps their receipt.
    visitor = new_page(browser, width=1280, height=900)
    visitor.goto(site)
    banner(visitor).get_by_role("button", name="Reject all").click()
    # The script posts the choice with fetch and closes the banner once it is stored.
    banner(visitor).wait_for(state="hidden")
    visitor.goto(f"{site}/cookies/preferences/")
    visitor.get_by_role("link", name="Your receipt").click()
    record = ConsentRecord.objects.get()
    expect(visitor.get_by_text(str(record.consent_id))).to_be_visible()
    expect(visitor.get_by_role("link", name="the text you agreed to")).to_be_visible()
    shoot(visitor, "receipt")
    visitor.context.close()

    # Staff edit the draft and open “Publish…”: the preview shows the draft.
    policy = CookiePolicy.current()
    assert policy is not None
    section = policy.sections.get(heading="Do Not Track")
    section.body = "We now treat a Do Not Track signal like Global Privacy Control."
    section.save()
    staff = new_page(browser, width=1280, height=900)
    sign_in(staff, site)
    staff.goto(f"{site}/admin/cookieconsent/cookiepolicy/{policy.pk}/change/")
    staff.get_by_role("link", name="Publish…").click()
    preview = staff.frame_locator('iframe[title="Policy page"]')
    expect(preview.get_by_text("like Global Privacy Control")).to_be_visible()
    shoot(staff, "publish-preview")

    # Published as version 2: the diff between 1 and 2 shows the change.
    staff.get_by_label("Visitors must consent again").check()
    staff.get_by_role("button", name="Publish version 2").click()
    expect(staff.get_by_text("Visitors will be asked to consent again.")).to_be_visible()
    staff.get_by_role("button", name="Show the changes").click()
    expect(staff.get_by_role("heading", name="Changes from version 1 to version 2")).to_be_visible()
    expect(staff.locator(".cc-diff ins").first).to_be_visible()  # the words added, highlighted
    shoot(staff, "version-diff")

    # A third version later, the record still opens what its visitor saw: version 1.
    policy.introduction += " Reworded for version 3."
    policy.save()
    publish(policy)
    staff.goto(f"{site}/admin/cookieconsent/consentrecord/{record.pk}/change/")
    staff.get_by_role("link", name="as this visitor saw it").click()
    seen = staff.frame_locator('iframe[title="Policy page"]')
    expect(seen.get_by_text("There is no industry-agreed standard")).to_be_visible()
    assert seen.get_by_text("like Global Privacy Control").count() == 0
    shoot(staff, "record-what-they-saw")
    staff.context.close()
