"""factory-boy factories for the app's models."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from cookieconsent.models import (
    Action,
    ConsentRecord,
    Cookie,
    CookieCategory,
    CookiePolicy,
    PolicySection,
)


class CookiePolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CookiePolicy

    title = "Cookie Policy"
    contact_email = "privacy@example.com"
    contact_organisation = "Example Ltd"


class PolicySectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicySection

    policy = factory.SubFactory(CookiePolicyFactory)
    order = factory.Sequence(int)
    heading = factory.Sequence(lambda n: f"Section {n}")
    body = "Some *text*."


class CookieCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CookieCategory
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")
    purpose = "What it is for."
    order = factory.Sequence(int)


class CookieFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cookie

    category = factory.SubFactory(CookieCategoryFactory)
    name = factory.Sequence(lambda n: f"cookie_{n}")
    purpose = "Why we set it."


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw")


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True


class ConsentRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsentRecord

    policy_version = 1
    snapshot_hash = "0" * 64
    granted = factory.LazyFunction(list)
    refused = factory.LazyFunction(list)
    action = Action.REJECT_ALL
