"""The fluxems regimes: opt-in for the EU/EEA, the UK, South Africa and Brazil (and, as the
default, every region without a rule and every unknown one); opt-out for the United States.
No region gets the notice regime; docs/regions.md shows how to add one.

Choosing regimes is the site's legal decision; these are fluxems's.
"""

from django.db import migrations

RULES = [
    ("EEA", "opt-in"),  # the EU's 27 and Iceland, Liechtenstein, Norway (GDPR, ePrivacy)
    ("GB", "opt-in"),  # UK GDPR, PECR
    ("ZA", "opt-in"),  # POPIA
    ("BR", "opt-in"),  # LGPD
    ("US", "opt-out"),  # CCPA/CPRA: until the visitor objects; GPC is an objection
]


def add_rules(apps, schema_editor):
    CookiePolicy = apps.get_model("cookieconsent", "CookiePolicy")
    RegionRule = apps.get_model("cookieconsent", "RegionRule")
    policy = CookiePolicy.objects.filter(is_current=True).first()
    if policy is None:
        return
    for region, regime in RULES:
        RegionRule.objects.get_or_create(policy=policy, region=region, defaults={"regime": regime})


def remove_rules(apps, schema_editor):
    RegionRule = apps.get_model("cookieconsent", "RegionRule")
    RegionRule.objects.filter(
        policy__is_current=True, region__in=[region for region, _ in RULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ('fluxems', '0001_seed_policy'),
        ('cookieconsent', '0001_initial'),
    ]

    operations = [migrations.RunPython(add_rules, remove_rules)]
