"""Published versions and their snapshots; consent records point at the version they were given
under and name their user by a plain ID; the database refuses to rewrite them.

The triggers come last: on SQLite, altering a table rebuilds it and drops its triggers, so a
later migration that alters these tables must create them again (``create_triggers``). The
test suite fails if they are missing.
"""

import datetime

import cookieconsent.models.publishing
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

#: Tables whose rows are never changed: the proof, and what it points at. A published version
#: cannot be deleted while a record cites it (the foreign key's constraint); a record only by
#: purge_older_than(), under a permit.
FROZEN = ("cookieconsent_consentrecord", "cookieconsent_publishedversion", "cookieconsent_snapshot")
RECORDS = "cookieconsent_consentrecord"
MESSAGE = "cookieconsent: {} of {} refused: consent records and published versions are append-only"


def copy_user_ids(apps, schema_editor):
    """Keep the user of records written before: the foreign key's value, as text."""
    ConsentRecord = apps.get_model("cookieconsent", "ConsentRecord")
    for pk, user_id in ConsentRecord.objects.exclude(user=None).values_list("pk", "user_id"):
        ConsentRecord.objects.filter(pk=pk).update(user_pk=str(user_id))


def _sqlite(schema_editor):
    connection = schema_editor.connection
    statements = []
    for table in FROZEN:
        with connection.cursor() as cursor:
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
        # An UPDATE that writes every value back unchanged (Django's serialized test
        # rollback does) changes nothing and is let through.
        changed = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in columns)
        statements.append(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} WHEN {changed} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE.format('UPDATE', table)}'); END"
        )
    # Deleted only under a permit covering the row, written in this same transaction by
    # purge_older_than() and removed before it commits.
    statements.append(
        f"CREATE TRIGGER {RECORDS}_no_delete BEFORE DELETE ON {RECORDS} "
        "WHEN NOT EXISTS (SELECT 1 FROM cookieconsent_purgepermit "
        "WHERE OLD.created_at < cookieconsent_purgepermit.before) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE.format('DELETE', RECORDS)}'); END"
    )
    return statements


POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION cookieconsent_append_only() RETURNS trigger AS $$
BEGIN
    -- An UPDATE that writes every value back unchanged changes nothing.
    IF TG_OP = 'UPDATE' AND NEW IS NOT DISTINCT FROM OLD THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM cookieconsent_purgepermit p WHERE OLD.created_at < p.before
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'cookieconsent: % of % refused: consent records and published versions are append-only',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql
"""


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = _sqlite(schema_editor)
    elif vendor == "postgresql":
        statements = [POSTGRES_FUNCTION] + [
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE"
            f"{' OR DELETE' if table == RECORDS else ''} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION cookieconsent_append_only()"
            for table in FROZEN
        ]
    else:  # other databases: the ORM's refusal only (see docs/proof.md)
        statements = []
    for sql in statements:
        schema_editor.execute(sql, params=None)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for table in FROZEN:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {RECORDS}_no_delete")
    elif vendor == "postgresql":
        for table in FROZEN:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS cookieconsent_append_only()")


class Migration(migrations.Migration):

    dependencies = [
        ('cookieconsent', '0006_console'),
    ]

    operations = [
        migrations.CreateModel(
            name='PurgePermit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('before', models.DateTimeField()),
            ],
            options={
                'verbose_name': 'purge permit',
                'verbose_name_plural': 'purge permits',
            },
        ),
        migrations.AlterModelOptions(
            name='cookiepolicy',
            options={'ordering': ['-is_current', 'pk'], 'permissions': [('publish_cookiepolicy', 'Can publish the cookie policy')], 'verbose_name': 'cookie policy', 'verbose_name_plural': 'cookie policies'},
        ),
        migrations.RemoveField(
            model_name='cookiepolicy',
            name='reconsent_version',
        ),
        migrations.RemoveField(
            model_name='cookiepolicy',
            name='version',
        ),
        migrations.AddField(
            model_name='consentrecord',
            name='language',
            field=models.CharField(blank=True, max_length=15, verbose_name='language'),
        ),
        migrations.AddField(
            model_name='consentrecord',
            name='user_pk',
            field=models.CharField(blank=True, db_index=True, max_length=64, verbose_name='user id'),
        ),
        migrations.RunPython(copy_user_ids, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='consentrecord',
            name='user',
        ),
        migrations.AlterField(
            model_name='consentrecord',
            name='text_hash',
            field=models.CharField(help_text='SHA-256 of the published snapshot the visitor was shown.', max_length=64, verbose_name='text hash'),
        ),
        migrations.AlterField(
            model_name='cookiepolicy',
            name='last_updated',
            field=models.DateField(default=datetime.date.today, help_text='Shown on the page once published; publishing sets the date it is given.', verbose_name='last updated'),
        ),
        migrations.CreateModel(
            name='PublishedVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField(unique=True, verbose_name='version')),
                ('last_updated', models.DateField(verbose_name='last updated')),
                ('published_at', models.DateTimeField(default=cookieconsent.models.publishing.now_to_the_second, verbose_name='published at')),
                ('reconsent', models.BooleanField(default=False, help_text='Consent given under an earlier version is asked for again.', verbose_name='visitors must consent again')),
                ('published_by', models.CharField(blank=True, max_length=150, verbose_name='published by')),
                ('policy', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='published_versions', to='cookieconsent.cookiepolicy', verbose_name='policy')),
            ],
            options={
                'verbose_name': 'published version',
                'verbose_name_plural': 'published versions',
                'ordering': ['-number'],
                'get_latest_by': 'number',
            },
        ),
        migrations.AddField(
            model_name='consentrecord',
            name='published_version',
            field=models.ForeignKey(blank=True, help_text='The version the visitor was shown; empty if nothing was published.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cookieconsent.publishedversion', verbose_name='published version'),
        ),
        migrations.CreateModel(
            name='Snapshot',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('language', models.CharField(max_length=15, verbose_name='language')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('banner', models.JSONField(verbose_name='banner')),
                ('preferences_html', models.TextField(verbose_name='preferences')),
                ('policy_html', models.TextField(verbose_name='policy page')),
                ('table_html', models.TextField(verbose_name='cookie table')),
                ('text', models.TextField(verbose_name='text')),
                ('table_rows', models.JSONField(verbose_name='cookie table rows')),
                ('hash', models.CharField(max_length=64, verbose_name='SHA-256')),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='snapshots', to='cookieconsent.publishedversion', verbose_name='version')),
            ],
            options={
                'verbose_name': 'snapshot',
                'verbose_name_plural': 'snapshots',
                'ordering': ['version', 'language'],
                'constraints': [models.UniqueConstraint(fields=('version', 'language'), name='cookieconsent_snapshot_once')],
            },
        ),
            migrations.RunPython(create_triggers, drop_triggers),
    ]
