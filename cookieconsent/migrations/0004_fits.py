"""Banners shown per day (the consent rate's denominator, see docs/console.md), and the help
text of a policy's "current". A new table and a help text: no append-only table is rebuilt."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cookieconsent', '0003_inbox'),
    ]

    operations = [
        migrations.CreateModel(
            name='BannersShown',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(unique=True, verbose_name='day')),
                ('shown', models.PositiveBigIntegerField(default=0, verbose_name='banners shown')),
            ],
            options={
                'verbose_name': 'banners shown',
                'verbose_name_plural': 'banners shown',
                'ordering': ['day'],
            },
        ),
        migrations.AlterField(
            model_name='cookiepolicy',
            name='is_current',
            field=models.BooleanField(default=True, help_text='The policy visitors are given, and the only one that can be published. One policy is current at a time: untick it here before ticking it on another; a policy that is not current is a spare draft nobody sees.', verbose_name='current'),
        ),
    ]
