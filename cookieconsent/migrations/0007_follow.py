"""An index for a signed-in user's latest consent record (``CONSENT_FOLLOWS_USER``).

Only records that name a user are indexed. ``AddIndex`` does not rebuild the table on SQLite, so
the append-only triggers of ``0002_append_only`` stay in place. (After ``0003_inbox``, which
reached main first: the two are chained, not siblings.)
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cookieconsent", "0006_chain"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="consentrecord",
            index=models.Index(
                condition=models.Q(("user_pk", ""), _negated=True),
                fields=["user_pk", "-created_at", "-id"],
                name="cookieconsent_record_user",
            ),
        ),
    ]
