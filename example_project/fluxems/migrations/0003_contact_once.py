"""Section 8 of the seed repeated the contact details that the policy page already prints in
its contact block: end the section with the sentence that leads into that block instead."""

from django.db import migrations

OLD = (
    "We may update this Cookie Policy as our use of these technologies evolves; the \"last "
    "updated\" date above will change. Questions can be sent to:\n\n"
    "fluxems by Entrebyte Technologies · Johannesburg, South Africa  \n"
    "[support@entrebyte.com](mailto:support@entrebyte.com)"
)
NEW = (
    "We may update this Cookie Policy as our use of these technologies evolves; the \"last "
    "updated\" date above will change. Questions can be sent to:"
)


def forward(apps, schema_editor):
    PolicySection = apps.get_model("cookieconsent", "PolicySection")
    db = schema_editor.connection.alias
    PolicySection.objects.using(db).filter(body=OLD).update(body=NEW)


def backward(apps, schema_editor):
    PolicySection = apps.get_model("cookieconsent", "PolicySection")
    db = schema_editor.connection.alias
    PolicySection.objects.using(db).filter(body=NEW).update(body=OLD)


class Migration(migrations.Migration):
    dependencies = [
        ('fluxems', '0002_regimes'),
    ]

    operations = [migrations.RunPython(forward, backward)]
