"""Snapshots keep the categories they were published with, so the preferences page, the receipt
and the script name only published categories.

The column is nullable without a default, so SQLite adds it with ``ALTER TABLE ... ADD COLUMN``
instead of rebuilding the table: no table loses its append-only triggers (``0006_publishing``).
SQLite's trigger on snapshots names the columns it compares, so it is made again to cover the new
one; PostgreSQL's compares whole rows and needs nothing.

Snapshots published before keep ``NULL``: they are append-only, and filling them with today's
categories would rewrite what visitors were shown. The code falls back to the live categories for
them (see ``cookieconsent.publishing.categories``).
"""

from django.db import migrations, models

TABLE = "cookieconsent_snapshot"
TRIGGER = f"{TABLE}_no_update"
MESSAGE = (
    f"cookieconsent: UPDATE of {TABLE} refused: consent records and published versions are "
    "append-only"
)


def create_trigger(apps, schema_editor):
    """SQLite: the snapshot trigger of ``0006_publishing``, over the table's columns of now."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, TABLE)]
    changed = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in columns)
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON {TABLE} WHEN {changed} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    )


def drop_trigger(apps, schema_editor):
    """SQLite: a column the trigger names cannot be dropped; it is made again after."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")


class Migration(migrations.Migration):

    dependencies = [
        ('cookieconsent', '0006_publishing'),
    ]

    operations = [
        # Reversed: the trigger again, without the column.
        migrations.RunPython(migrations.RunPython.noop, create_trigger),
        migrations.AddField(
            model_name='snapshot',
            name='categories',
            field=models.JSONField(blank=True, null=True, verbose_name='categories'),
        ),
        migrations.RunPython(create_trigger, drop_trigger),
    ]
