"""Publish the seeded policy as version 1, dated 1 June 2026: what fluxems visitors see first.

Rendering needs the real models and templates (the snapshot is the page as the site's templates
render it), not the historical ones, so this calls ``cookieconsent.publishing.publish``. It must
depend on cookieconsent's newest migration, so that the real models match the tables. The
reverse removes the version only while no consent record cites it, lifting cookieconsent's
triggers for that delete.
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


GUARDED = ("cookieconsent_snapshot", "cookieconsent_publishedversion")


def unpublish_version_1(apps, schema_editor):
    """The database refuses to delete a published version (cookieconsent's triggers); the
    owner of the tables, who runs migrations, lifts them for this one delete."""
    PublishedVersion = apps.get_model("cookieconsent", "PublishedVersion")
    Snapshot = apps.get_model("cookieconsent", "Snapshot")
    connection = schema_editor.connection
    db = connection.alias
    seeded = PublishedVersion.objects.using(db).filter(number=1, published_by="fluxems seed")
    with connection.cursor() as cursor:
        triggers = []
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name IN (%s, %s) AND name LIKE '%%no_delete'",
                GUARDED,
            )
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
        elif connection.vendor == "postgresql":
            for table in GUARDED:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        Snapshot.objects.using(db).filter(version__in=seeded).delete()
        seeded.delete()
        for _name, sql in triggers:
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            # The foreign keys' deferred checks first: ALTER TABLE refuses while they pend.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in GUARDED:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


class Migration(migrations.Migration):
    dependencies = [
        ('fluxems', '0004_afrikaans'),
        ('cookieconsent', '0002_append_only'),
    ]

    operations = [migrations.RunPython(publish_version_1, unpublish_version_1)]
