"""The consent log as a hash chain (docs/proof.md, "Proving the log is intact"): each record's
hash and its predecessor's, the one-row head every append locks, and the checkpoints the purge
leaves. On SQLite and PostgreSQL a trigger moves the head in the very statement that inserts
a chained record, and refuses the INSERT when the record does not link to the head.

The new columns are added in place (nullable, no default), so SQLite keeps the record table's
triggers; its UPDATE trigger names the columns it guards, so it is made again to guard these
too. PostgreSQL's compares whole rows and needs nothing.
"""

from importlib import import_module

import django.utils.timezone
from django.db import migrations, models

append_only = import_module("cookieconsent.migrations.0002_append_only")
RECORDS = append_only.RECORDS


HEAD = "cookieconsent_chainhead"
MOVED = (
    "cookieconsent: the consent chain moved on: link the record to the hash of the chain head "
    "(as ConsentRecord.save() does)"
)
#: Moves the head in the statement that inserts a chained record, if it links to the head.
SQLITE_CHAIN = (
    f"CREATE TRIGGER {RECORDS}_chain AFTER INSERT ON {RECORDS} "
    "WHEN NEW.chain_hash IS NOT NULL BEGIN "
    f"SELECT RAISE(ABORT, '{MOVED}') "
    f"WHERE (SELECT hash FROM {HEAD} WHERE id = 1) IS NOT NEW.chain_prev; "
    f"UPDATE {HEAD} SET hash = NEW.chain_hash, record_pk = NEW.id, appended = appended + 1 "
    "WHERE id = 1; END"
)
POSTGRES_CHAIN = [
    f"""
CREATE OR REPLACE FUNCTION cookieconsent_chain() RETURNS trigger AS $$
BEGIN
    UPDATE {HEAD} SET hash = NEW.chain_hash, record_pk = NEW.id, appended = appended + 1
        WHERE id = 1 AND hash = NEW.chain_prev;
    IF NOT FOUND THEN
        RAISE EXCEPTION '{MOVED}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
""",
    f"CREATE TRIGGER {RECORDS}_chain AFTER INSERT ON {RECORDS} FOR EACH ROW "
    "WHEN (NEW.chain_hash IS NOT NULL) EXECUTE FUNCTION cookieconsent_chain()",
]


def create_chain_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": [SQLITE_CHAIN], "postgresql": POSTGRES_CHAIN}.get(vendor, []):
        schema_editor.execute(sql, params=None)


def drop_chain_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {RECORDS}_chain")
    elif vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {RECORDS}_chain ON {RECORDS}")
        schema_editor.execute("DROP FUNCTION IF EXISTS cookieconsent_chain()")


def drop_record_triggers(apps, schema_editor):
    """SQLite: the record table's triggers dropped (they name its columns: a column they name
    cannot be dropped)."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in append_only.SQLITE_TRIGGERS:
        if name.startswith(RECORDS):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


def guard_record_columns(apps, schema_editor):
    """SQLite: the record table's triggers made again, over its columns as they are now."""
    if schema_editor.connection.vendor != "sqlite":
        return
    drop_record_triggers(apps, schema_editor)
    for sql in append_only._sqlite(schema_editor):
        if sql.startswith(f"CREATE TRIGGER {RECORDS}_"):
            schema_editor.execute(sql, params=None)


def create_head(apps, schema_editor):
    ChainHead = apps.get_model("cookieconsent", "ChainHead")
    ChainHead.objects.using(schema_editor.connection.alias).get_or_create(id=1)


class Migration(migrations.Migration):

    dependencies = [
        ('cookieconsent', '0005_version_content'),
    ]

    operations = [
        # Undone last: removing the columns rebuilds the table on SQLite, without its triggers.
        migrations.RunPython(migrations.RunPython.noop, guard_record_columns),
        migrations.CreateModel(
            name='ChainCheckpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('record_pk', models.BigIntegerField(unique=True, verbose_name='purged record')),
                ('consent_id', models.UUIDField(verbose_name='consent id')),
                ('hash', models.CharField(max_length=64, verbose_name='hash')),
                ('before', models.DateTimeField(verbose_name='purged records given before')),
                ('purged_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='purged at')),
            ],
            options={
                'verbose_name': 'chain checkpoint',
                'verbose_name_plural': 'chain checkpoints',
            },
        ),
        migrations.CreateModel(
            name='ChainHead',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64, verbose_name='hash')),
                ('record_pk', models.BigIntegerField(blank=True, null=True, verbose_name='newest record')),
                ('appended', models.BigIntegerField(default=0, verbose_name='records appended')),
            ],
            options={
                'verbose_name': 'chain head',
                'verbose_name_plural': 'chain heads',
            },
        ),
        migrations.AddField(
            model_name='consentrecord',
            name='chain_hash',
            field=models.CharField(editable=False, max_length=64, null=True, verbose_name='hash'),
        ),
        migrations.AddField(
            model_name='consentrecord',
            name='chain_prev',
            field=models.CharField(editable=False, max_length=64, null=True, verbose_name='previous hash'),
        ),
        migrations.RunPython(guard_record_columns, drop_record_triggers),
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(create_chain_trigger, drop_chain_trigger),
    ]
