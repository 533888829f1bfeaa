"""Days are counted once they are over, not by the consent endpoint: ``CountedDay`` says which.

The days counted before (by the endpoint, as each decision was written) are complete up to
yesterday: they are marked counted, so the counts of days whose records are purged already
are never recounted from nothing. Today is counted again once it is over.

PostgreSQL's append-only function is replaced too: on a published version or a snapshot (no
``created_at``) a refused UPDATE raised "record old has no field created_at" instead of its
own message.
"""

import django.utils.timezone
from django.db import migrations, models
from django.utils import timezone


def mark_counted_days(apps, schema_editor):
    DailyDecisions = apps.get_model("cookieconsent", "DailyDecisions")
    CountedDay = apps.get_model("cookieconsent", "CountedDay")
    today = timezone.localdate()
    days = DailyDecisions.objects.filter(day__lt=today).values_list("day", flat=True).distinct()
    CountedDay.objects.bulk_create([CountedDay(day=day) for day in days], ignore_conflicts=True)


POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION cookieconsent_append_only() RETURNS trigger AS $$
BEGIN
    -- An UPDATE that writes every value back unchanged changes nothing.
    IF TG_OP = 'UPDATE' AND NEW IS NOT DISTINCT FROM OLD THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
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
"""


def replace_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('cookieconsent', '0007_snapshot_categories'),
    ]

    operations = [
        migrations.CreateModel(
            name='CountedDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(unique=True, verbose_name='day')),
                ('counted_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='counted at')),
            ],
            options={
                'verbose_name': 'counted day',
                'verbose_name_plural': 'counted days',
                'ordering': ['day'],
            },
        ),
        migrations.RunPython(mark_counted_days, migrations.RunPython.noop),
        migrations.RunPython(replace_function, migrations.RunPython.noop),
    ]
