"""The database refuses to rewrite the proof: consent records, published versions and their
snapshots are append-only (see docs/architecture.md).

- UPDATE of any of them is refused, unless it writes every value back unchanged (Django's
  serialized test rollback does).
- DELETE of a version or snapshot is refused; of a record, unless a purge permit covering it
  exists, which only ``ConsentRecord.objects.purge_older_than()`` writes and removes in its own
  transaction. On PostgreSQL a permit still there when its transaction commits fails the commit
  (a deferred constraint trigger), so no other transaction ever sees one. SQLite has no
  deferred triggers: there any connection can write a permit.
- A version is inserted only with a number above every other's; a snapshot only for the newest
  version, and (PostgreSQL) only in the transaction that inserted it.
- SQLite: ``INSERT OR REPLACE`` deletes the row it replaces without firing a DELETE trigger, but
  the BEFORE INSERT trigger fires first: it refuses an INSERT over a taken key.

The consent log is also a hash chain (docs/proof.md, "Proving the log is intact"): the one-row
chain head is created here, and a trigger moves it in the very statement that inserts a chained
record, refusing the INSERT when the record does not link to the head.

SQLite loses a table's triggers when a migration rebuilds it: a later migration that alters
these tables must create them again (``create_triggers``). The test suite fails if they are
missing.
"""

from django.db import migrations

RECORDS = "cookieconsent_consentrecord"
VERSIONS = "cookieconsent_publishedversion"
SNAPSHOTS = "cookieconsent_snapshot"
PERMITS = "cookieconsent_purgepermit"
FROZEN = (RECORDS, VERSIONS, SNAPSHOTS)
REFUSED = "cookieconsent: {} refused: consent records and published versions are append-only"


def _raise(what):
    return f"BEGIN SELECT RAISE(ABORT, '{REFUSED.format(what)}'); END"


def _sqlite(schema_editor):
    connection = schema_editor.connection
    statements = []
    for table in FROZEN:
        with connection.cursor() as cursor:
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
        changed = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in columns)
        statements.append(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} WHEN {changed} "
            + _raise(f"UPDATE of {table}")
        )
    return [
        *statements,
        f"CREATE TRIGGER {RECORDS}_no_delete BEFORE DELETE ON {RECORDS} "
        f"WHEN NOT EXISTS (SELECT 1 FROM {PERMITS} WHERE OLD.created_at < {PERMITS}.before) "
        + _raise(f"DELETE of {RECORDS}"),
        f"CREATE TRIGGER {VERSIONS}_no_delete BEFORE DELETE ON {VERSIONS} "
        + _raise(f"DELETE of {VERSIONS}"),
        f"CREATE TRIGGER {SNAPSHOTS}_no_delete BEFORE DELETE ON {SNAPSHOTS} "
        + _raise(f"DELETE of {SNAPSHOTS}"),
        f"CREATE TRIGGER {RECORDS}_no_replace BEFORE INSERT ON {RECORDS} WHEN EXISTS "
        f"(SELECT 1 FROM {RECORDS} WHERE id = NEW.id OR consent_id = NEW.consent_id) "
        + _raise(f"INSERT over a row of {RECORDS}"),
        f"CREATE TRIGGER {VERSIONS}_only_next BEFORE INSERT ON {VERSIONS} WHEN EXISTS "
        f"(SELECT 1 FROM {VERSIONS} WHERE id = NEW.id OR number >= NEW.number) "
        + _raise(f"INSERT of {VERSIONS} not numbered after the newest"),
        f"CREATE TRIGGER {SNAPSHOTS}_only_newest BEFORE INSERT ON {SNAPSHOTS} WHEN EXISTS "
        f"(SELECT 1 FROM {SNAPSHOTS} WHERE id = NEW.id "
        f"OR (version_id = NEW.version_id AND language = NEW.language)) "
        f"OR NEW.version_id IS NOT (SELECT id FROM {VERSIONS} ORDER BY number DESC LIMIT 1) "
        + _raise(f"INSERT of {SNAPSHOTS} but for the newest version"),
    ]


SQLITE_TRIGGERS = [
    *(f"{table}_no_update" for table in FROZEN),
    *(f"{table}_no_delete" for table in FROZEN),
    f"{RECORDS}_no_replace",
    f"{VERSIONS}_only_next",
    f"{SNAPSHOTS}_only_newest",
]

POSTGRES = [
    """
CREATE OR REPLACE FUNCTION cookieconsent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW IS NOT DISTINCT FROM OLD THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'cookieconsent_consentrecord' THEN
        IF EXISTS (
            SELECT 1 FROM cookieconsent_purgepermit p WHERE OLD.created_at < p.before
        ) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'cookieconsent: % of % refused: consent records and published versions are append-only',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql
""",
    *(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION cookieconsent_append_only()"
        for table in FROZEN
    ),
    """
CREATE OR REPLACE FUNCTION cookieconsent_publishing() RETURNS trigger AS $$
BEGIN
    IF TG_TABLE_NAME = 'cookieconsent_publishedversion' THEN
        IF EXISTS (SELECT 1 FROM cookieconsent_publishedversion WHERE number >= NEW.number) THEN
            RAISE EXCEPTION 'cookieconsent: INSERT of % not numbered after the newest refused: consent records and published versions are append-only',
                TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        -- Until this transaction ends: its snapshots may be inserted, no other's.
        PERFORM set_config('cookieconsent.publishing', NEW.id::text, true);
        RETURN NEW;
    END IF;
    IF NEW.version_id IS DISTINCT FROM (
        SELECT id FROM cookieconsent_publishedversion ORDER BY number DESC LIMIT 1
    ) OR NEW.version_id::text IS DISTINCT FROM current_setting('cookieconsent.publishing', true)
    THEN
        RAISE EXCEPTION 'cookieconsent: INSERT of % refused but for the version published in the same transaction: consent records and published versions are append-only',
            TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
""",
    *(
        f"CREATE TRIGGER {table}_publishing BEFORE INSERT ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION cookieconsent_publishing()"
        for table in (VERSIONS, SNAPSHOTS)
    ),
    """
CREATE OR REPLACE FUNCTION cookieconsent_permit_not_committed() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM cookieconsent_purgepermit WHERE id = NEW.id) THEN
        RAISE EXCEPTION 'cookieconsent: a purge permit cannot be committed; only ConsentRecord.objects.purge_older_than() writes one, and removes it'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
""",
    f"CREATE CONSTRAINT TRIGGER {PERMITS}_not_committed AFTER INSERT ON {PERMITS} "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
    "EXECUTE FUNCTION cookieconsent_permit_not_committed()",
]

POSTGRES_REVERSE = [
    f"DROP TRIGGER IF EXISTS {PERMITS}_not_committed ON {PERMITS}",
    "DROP FUNCTION IF EXISTS cookieconsent_permit_not_committed()",
    *(f"DROP TRIGGER IF EXISTS {table}_publishing ON {table}" for table in (VERSIONS, SNAPSHOTS)),
    "DROP FUNCTION IF EXISTS cookieconsent_publishing()",
    *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in FROZEN),
    "DROP FUNCTION IF EXISTS cookieconsent_append_only()",
]


#: The hash chain (docs/proof.md).
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


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = [*_sqlite(schema_editor), SQLITE_CHAIN]
    elif vendor == "postgresql":
        statements = [*POSTGRES, *POSTGRES_CHAIN]
    else:  # other databases: the ORM's refusal only (see docs/architecture.md)
        statements = []
    for sql in statements:
        schema_editor.execute(sql, params=None)
    ChainHead = apps.get_model("cookieconsent", "ChainHead")
    ChainHead.objects.using(schema_editor.connection.alias).get_or_create(id=1)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in (*SQLITE_TRIGGERS, f"{RECORDS}_chain"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif vendor == "postgresql":
        for sql in POSTGRES_REVERSE:
            schema_editor.execute(sql, params=None)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {RECORDS}_chain ON {RECORDS}")
        schema_editor.execute("DROP FUNCTION IF EXISTS cookieconsent_chain()")


class Migration(migrations.Migration):
    dependencies = [("cookieconsent", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
