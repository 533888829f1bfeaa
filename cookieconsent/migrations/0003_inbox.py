from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cookieconsent", "0002_append_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="undeclaredcookie",
            name="max_age",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Seconds the site gave the cookie when it set it (its Max-Age, or its Expires counted from then); 0 for a session cookie; empty when only browsers sent it.",
                null=True,
                verbose_name="lifetime seen",
            ),
        ),
    ]
