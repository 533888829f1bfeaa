"""Publish the seeded policy as version 1, dated 1 June 2026: what fluxems visitors see first.

Rendering needs the real models and templates (the snapshot is the page as the site's templates
render it), not the historical ones, so this calls ``cookieconsent.publishing.publish``. It must
depend on cookieconsent's newest migration, so that the real models match the tables. The
reverse removes the version only while no consent record cites it.
"""

from datetime import date

from django.db import migrations

DATE = date(2026, 6, 1)


def publish_version_1(apps, schema_editor):
    from cookieconsent.engine import registry
    from cookieconsent.models import CookiePolicy, PublishedVersion
    from cookieconsent.publishing import publish

    db = schema_editor.connection.alias
    policy = CookiePolicy.objects.using(db).filter(is_current=True).first()
    if policy is None or PublishedVersion.objects.using(db).exists():
        return  # a site that has published already keeps its versions
    publish(policy, last_updated=DATE, published_by="fluxems seed")
    registry.reset()


def unpublish_version_1(apps, schema_editor):
    PublishedVersion = apps.get_model("cookieconsent", "PublishedVersion")
    Snapshot = apps.get_model("cookieconsent", "Snapshot")
    db = schema_editor.connection.alias
    seeded = PublishedVersion.objects.using(db).filter(number=1, published_by="fluxems seed")
    Snapshot.objects.using(db).filter(version__in=seeded).delete()
    seeded.delete()


class Migration(migrations.Migration):
    dependencies = [
        ('fluxems', '0004_afrikaans'),
        ('cookieconsent', '0007_snapshot_categories'),
    ]

    operations = [migrations.RunPython(publish_version_1, unpublish_version_1)]
