"""Publishing: staff edit a draft, visitors see only what was published, as it was published."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import DatabaseError, transaction
from django.utils import timezone, translation

from cookieconsent import publishing
from cookieconsent.engine.registry import get_registry
from cookieconsent.models import CookiePolicy, PolicySection, PublishedVersion, Snapshot
from cookieconsent.publishing import diff as diffing
from cookieconsent.publishing import publish
from cookieconsent.publishing import render as rendering
from cookieconsent.publishing import serve as serving
from cookieconsent.testing import CONSENT_COOKIE, consent_cookie
from cookieconsent.translation import languages
from tests.factories import CookieFactory, CookiePolicyFactory
from tests.helpers import needs_triggers, unpublish_everything

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]

POLICY = "/cookies/policy/"


def policy() -> CookiePolicy:
    current = CookiePolicy.current()
    assert current is not None
    return current


def test_version_1_is_in_every_language(categories):
    version = PublishedVersion.objects.get()
    assert (version.number, version.last_updated) == (1, date(2026, 6, 1))
    english = version.snapshots.get(language="en")
    afrikaans = version.snapshots.get(language="af")
    assert "Last updated <time" in english.policy_html
    assert "Laas bygewerk <time" in afrikaans.policy_html
    assert "Aanvaar alles" in afrikaans.banner["ask:opt-in"]
    assert english.hash != afrikaans.hash and len(english.hash) == 64


def test_draft_edits_change_nothing_a_visitor_sees_until_published(client, categories):
    draft = policy()
    draft.introduction = "A brand new introduction."
    draft.save()
    PolicySection.objects.create(policy=draft, order=99, heading="A new section", body="New.")
    analytics = categories["analytics"]
    analytics.purpose = "Freshly worded purpose."
    analytics.save()
    CookieFactory(category=analytics, name="_brand_new")
    page = client.get(POLICY).content.decode()
    for words in ["A brand new introduction.", "A new section", "Freshly worded", "_brand_new"]:
        assert words not in page
    publishing.publish(draft)
    page = client.get(POLICY).content.decode()
    for words in ["A brand new introduction.", "A new section", "Freshly worded", "_brand_new"]:
        assert words in page


def reword() -> None:
    """A change to the draft, so that there is something to publish."""
    draft = policy()
    draft.introduction += " Reworded."
    draft.save()


def test_publish_numbers_dates_and_records_who(categories):
    reword()
    version = publishing.publish(policy(), published_by="alice")
    assert version.number == 2
    assert version.last_updated == timezone.localdate()
    assert version.published_by == "alice"
    assert not version.reconsent
    assert policy().last_updated == timezone.localdate()
    dated = publishing.publish(policy(), last_updated=date(2027, 1, 2), reconsent=True)
    assert (dated.number, dated.last_updated, dated.reconsent) == (3, date(2027, 1, 2), True)
    assert 'datetime="2027-01-02"' in dated.snapshots.get(language="en").policy_html


def test_the_date_chosen_is_written_to_the_draft(categories):
    reword()
    publishing.publish(policy(), last_updated=date(2027, 1, 2))
    assert CookiePolicy.objects.get(pk=policy().pk).last_updated == date(2027, 1, 2)


def test_a_policy_saved_after_its_instance_was_read_is_published_as_saved(client, categories):
    """Another save commits between reading the policy and publishing it: the version renders
    what it records, the saved words, and nothing is left unpublished."""
    read_before = policy()
    CookiePolicy.objects.filter(pk=read_before.pk).update(title="Saved meanwhile")
    version = publishing.publish(read_before)
    assert version.content["policy"]["title"] == "Saved meanwhile"
    assert {s.title for s in version.snapshots.all()} == {"Saved meanwhile"}
    assert "Saved meanwhile" in client.get(POLICY).content.decode()
    assert diffing.unpublished()[1] == []


def test_the_first_version_always_asks_for_consent(categories):
    unpublish_everything()
    assert get_registry().reconsent_version == 0
    version = publishing.publish(policy())
    assert (version.number, version.reconsent) == (1, True)


def test_reconsent_is_a_choice_at_publish_time(client, categories):
    client.cookies[CONSENT_COOKIE] = consent_cookie({"analytics"}, version=1)
    reword()
    publishing.publish(policy())
    assert (get_registry().policy_version, get_registry().reconsent_version) == (2, 1)
    assert 'id="cookieconsent-banner"' not in client.get("/t/").content.decode()
    publishing.publish(policy(), reconsent=True)
    assert (get_registry().policy_version, get_registry().reconsent_version) == (3, 3)
    html = client.get("/t/").content.decode()
    assert 'id="cookieconsent-banner"' in html
    assert "Our cookie policy has changed" in html


def test_languages_default_to_the_default_language_only(settings):
    from django.conf import global_settings

    settings.LANGUAGES = global_settings.LANGUAGES
    assert languages() == ["en"]
    settings.LANGUAGES = [("af", "Afrikaans"), ("en", "English")]
    assert languages() == ["en", "af"]
    settings.USE_I18N = False
    assert languages() == ["en"]


def test_a_language_added_to_the_site_is_something_to_publish(settings, categories):
    """The draft is unchanged, but version 1 has no Dutch snapshot: publishing makes one."""
    settings.LANGUAGES = [("en", "English"), ("af", "Afrikaans"), ("nl", "Dutch")]
    version = publishing.publish(policy())
    assert version.number == 2
    assert sorted(version.snapshots.values_list("language", flat=True)) == ["af", "en", "nl"]


def test_a_change_to_the_policy_pages_template_is_something_to_publish(settings, tmp_path):
    """Only the policy article's template changed: its snapshot, and so its hash, differ."""
    from django.template.loader import get_template

    original = get_template("cookieconsent/policy_article.html").origin.name
    folder = tmp_path / "cookieconsent"
    folder.mkdir()
    (folder / "policy_article.html").write_text(
        "<p>Questions? Write to us.</p>\n" + Path(original).read_text()
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    live = PublishedVersion.objects.get()
    assert not publishing.publication.unchanged(policy(), live)
    version = publishing.publish(policy())
    shown = version.snapshots.get(language="en")
    assert "Questions? Write to us." in shown.policy_html
    assert "Questions? Write to us." not in shown.banner["ask:opt-in"]


def test_the_snapshots_preferences_are_an_undecided_visitors(categories):
    """Only the strictly necessary categories are ticked, as an undecided visitor sees them."""
    import re

    html = Snapshot.objects.get(version__number=1, language="en").preferences_html
    boxes = dict(re.findall(r'<input type="checkbox" id="cc-category-([a-z]+)"([^>]*)>', html))
    assert set(boxes) == {"necessary", "security", "functional", "analytics"}
    ticked = {slug for slug, attributes in boxes.items() if " checked" in attributes}
    assert ticked == {"necessary", "security"}


def test_a_language_without_a_snapshot_gets_the_default(client, categories):
    with translation.override("de"):
        shown = serving.current()
    assert shown is not None and shown.language == "en"
    with translation.override("af-za"):
        shown = serving.current()
    assert shown is not None and shown.language == "af"


def test_the_policy_page_is_served_from_the_snapshot(client, categories, django_assert_num_queries):
    client.get(POLICY)
    with django_assert_num_queries(0):
        response = client.get(POLICY)
    assert response.status_code == 200
    shown = serving.current()
    assert shown is not None and shown.policy_html in response.content.decode()


def test_the_cookie_table_tag_shows_the_published_table(categories):
    from django.template import Context, Template

    CookieFactory(category=categories["analytics"], name="_unpublished")
    html = Template("{% load cookieconsent %}{% cookieconsent_cookie_table %}").render(Context())
    assert "_stat" in html and "_unpublished" not in html


def test_an_earlier_version_stays_readable(client, categories):
    draft = policy()
    old_intro = draft.introduction
    draft.introduction = "Rewritten from scratch."
    draft.save()
    publishing.publish(draft)
    html = client.get("/cookies/policy/v1/").content.decode()
    assert old_intro in html and "Rewritten from scratch." not in html
    assert "This is version 1 of this policy, dated 1 June 2026" in html
    assert "Rewritten from scratch." in client.get(POLICY).content.decode()
    assert "This is version" not in client.get("/cookies/policy/v2/").content.decode()
    afrikaans = client.get("/cookies/policy/v1/", {"language": "af"}).content.decode()
    assert "Laas bygewerk" in afrikaans
    assert client.get("/cookies/policy/v9/").status_code == 404


def test_versions_and_snapshots_cannot_be_changed(categories):
    version = PublishedVersion.objects.get()
    shown = version.snapshots.first()
    assert shown is not None
    for instance in (version, shown):
        with pytest.raises(TypeError, match="immutable"):
            instance.save()
        with pytest.raises(TypeError, match="immutable"):
            instance.delete()
    with pytest.raises(TypeError, match="immutable"):
        PublishedVersion.objects.update(reconsent=False)
    with pytest.raises(TypeError, match="immutable"):
        Snapshot.objects.all().delete()


@needs_triggers
def test_versions_and_snapshots_cannot_be_changed_below_the_orm(categories):
    for manager, change in [
        (PublishedVersion._base_manager, {"last_updated": date(2000, 1, 1)}),
        (Snapshot._base_manager, {"policy_html": "Rewritten"}),
    ]:
        with pytest.raises(DatabaseError), transaction.atomic():
            manager.update(**change)
    assert PublishedVersion.objects.get().last_updated == date(2026, 6, 1)
    assert "Rewritten" not in Snapshot.objects.get(language="en").policy_html


def test_a_cited_version_cannot_be_deleted_even_below_the_orm(client, categories):
    client.post("/cookies/consent/", {"action": "reject_all"})
    with pytest.raises(DatabaseError), transaction.atomic():
        Snapshot._base_manager.all().delete()
        PublishedVersion._base_manager.all().delete()
    assert PublishedVersion.objects.count() == 1


def test_diff_shows_text_and_table_changes(categories):
    draft = policy()
    draft.sections.filter(heading="Do Not Track").update(heading="Do Not Track signals")
    CookieFactory(category=categories["analytics"], name="_added_cookie", purpose="Counts.")
    publishing.publish(draft)
    old = serving.snapshot(1, "en")
    new = serving.snapshot(2, "en")
    assert old is not None and new is not None
    text = diffing.text_diff(old.text, new.text)
    assert "Do Not Track<ins> signals</ins>" in text
    changes = diffing.compare(old.version.content, new.version.content)
    assert [(c.kind, c.name, c.status) for c in changes] == [
        ("section", "Do Not Track signals", "changed"),
        ("cookie", "_added_cookie", "added"),
    ]


def test_plain_text_keeps_one_line_per_block():
    text = rendering.plain_text(
        "<h1>Title</h1>\n<p>One\n  two &amp; three</p><script>x()</script><p>Four</p>"
    )
    assert text == "Title\nOne two & three\nFour"


# -- the command ----------------------------------------------------------------------------


def test_command_publishes(categories):
    from io import StringIO

    out = StringIO()
    call_command("cookieconsent_publish", "--reconsent", "--date", "2026-07-01", stdout=out)
    version = PublishedVersion.objects.get(number=2)
    assert (version.last_updated, version.reconsent) == (date(2026, 7, 1), True)
    assert "Published Version 2 of 2026-07-01 in en, af." in out.getvalue()
    assert "consent again" in out.getvalue()
    reword()
    call_command("cookieconsent_publish", stdout=out)
    assert PublishedVersion.objects.get(number=3).last_updated == timezone.localdate()
    out = StringIO()
    call_command("cookieconsent_publish", stdout=out)
    assert out.getvalue() == (
        "Nothing to publish: the draft is the same as version 3, which visitors see now.\n"
    )
    assert PublishedVersion.objects.count() == 3


def test_nothing_to_publish_is_said_in_the_active_language(categories):
    """As the admin says it: the command's sentence was English whatever the language."""
    policy = CookiePolicy.current()
    assert policy is not None
    with translation.override("af"), pytest.raises(publishing.NothingToPublish) as unchanged:
        publish(policy)
    assert str(unchanged.value).startswith("Niks om te publiseer nie")


@pytest.mark.parametrize("value", ["2026-13-01", "tomorrow", "01/06/2026"])
def test_command_refuses_a_bad_date(categories, capsys, monkeypatch, value):
    # The command line closes every connection when it is done; the test's is still needed.
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    with pytest.raises(SystemExit) as exit:
        execute_from_command_line(["manage.py", "cookieconsent_publish", "--date", value])
    assert exit.value.code == 2  # a usage error
    err = capsys.readouterr().err
    assert "is not a date: write it as YYYY-MM-DD" in err
    assert "Traceback" not in err
    assert PublishedVersion.objects.count() == 1


def test_command_without_a_current_policy(categories):
    CookiePolicy.objects.update(is_current=False)
    with pytest.raises(CommandError, match="no current cookie policy") as failed:
        call_command("cookieconsent_publish")
    assert failed.value.returncode == 1


def test_command_fails_when_another_policy_was_made_current_meanwhile(categories, monkeypatch):
    """The policy the command read as current is no longer current when it publishes: it
    says so and exits with 1, as the admin's Publish… does, and publishes nothing."""
    read_as_current = policy()
    other = CookiePolicyFactory(title="New policy", is_current=False)
    CookiePolicy.objects.filter(pk=read_as_current.pk).update(is_current=False)
    CookiePolicy.objects.filter(pk=other.pk).update(is_current=True)
    monkeypatch.setattr(CookiePolicy, "current", classmethod(lambda cls: read_as_current))
    with pytest.raises(CommandError, match="is not the current cookie policy") as failed:
        call_command("cookieconsent_publish")
    assert failed.value.returncode == 1
    assert PublishedVersion.objects.count() == 1


def test_only_the_current_policy_is_published(categories):
    """One current policy: the live text and the regimes both come from it."""
    other = CookiePolicyFactory(title="Old policy", is_current=False)
    with pytest.raises(publishing.NotCurrentPolicy, match="“Old policy” is not the current"):
        publishing.publish(other)
    with pytest.raises(publishing.NotCurrentPolicy):
        publish(other)
    assert PublishedVersion.objects.count() == 1
    reword()
    assert publishing.publish(policy()).number == 2


def test_the_refusal_of_a_policy_that_is_not_current_is_in_the_active_language(categories):
    other = CookiePolicyFactory(title="Ou beleid", is_current=False)
    with (
        translation.override("af"),
        pytest.raises(publishing.NotCurrentPolicy, match="“Ou beleid” is nie die huidige"),
    ):
        publishing.publish(other)
