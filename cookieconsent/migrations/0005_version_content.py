"""A published version keeps the draft it was made from (``PublishedVersion.content``): the
registry enforces it.

A nullable column is added without rebuilding the table, so its triggers stay; on SQLite the
trigger that refuses an UPDATE names each column, so it is made again to cover the new one.
"""

from django.db import migrations, models

VERSIONS = "cookieconsent_publishedversion"
TRIGGER = f"{VERSIONS}_no_update"


def _no_update(schema_editor, *, leave_out=()):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return  # PostgreSQL's trigger compares whole rows
    with connection.cursor() as cursor:
        columns = [
            c.name
            for c in connection.introspection.get_table_description(cursor, VERSIONS)
            if c.name not in leave_out
        ]
    changed = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in columns)
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON {VERSIONS} WHEN {changed} "
        "BEGIN SELECT RAISE(ABORT, 'cookieconsent: UPDATE of "
        f"{VERSIONS} refused: consent records and published versions are append-only'); END"
    )


def cover_content(apps, schema_editor):
    _no_update(schema_editor)


def uncover_content(apps, schema_editor):
    # Before the column goes: SQLite cannot drop a column a trigger names.
    _no_update(schema_editor, leave_out=("content",))


class Migration(migrations.Migration):
    dependencies = [("cookieconsent", "0004_fits")]

    operations = [
        migrations.AddField(
            model_name="publishedversion",
            name="content",
            field=models.JSONField(editable=False, null=True, verbose_name="content"),
        ),
        migrations.RunPython(cover_content, uncover_content),
    ]
