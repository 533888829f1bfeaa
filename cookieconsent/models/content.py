"""The draft as data: what a published version keeps of it (``PublishedVersion.content``), so
that the registry enforces what was published and the admin can say what changed since.

Plain JSON: the current policy's words, its sections and regimes, the categories and the
cookies, each with its translations, in the order visitors see them.
"""

from __future__ import annotations

from typing import Any

#: The policy's fields a version keeps (its date, ``current`` flag and the like are not words).
POLICY_FIELDS = (
    "title",
    "introduction",
    "banner_title",
    "banner_message",
    "contact_organisation",
    "contact_address",
    "contact_email",
    "translations",
)
SECTION_FIELDS = ("id", "order", "heading", "body", "show_cookie_table", "translations")
CATEGORY_FIELDS = (
    "slug",
    "name",
    "purpose",
    "order",
    "required",
    "opt_in_everywhere",
    "translations",
)
COOKIE_FIELDS = (
    "name",
    "technology",
    "purpose",
    "party",
    "provider",
    "http_only",
    "domain",
    "path",
    "order",
    "translations",
)


def draft_content() -> dict[str, Any]:
    """The draft as ``publish()`` stores it: the current policy (``None`` without one), its
    sections and regional regimes, and every category and cookie. Five queries."""
    from cookieconsent.models import Cookie, CookieCategory, CookiePolicy, PolicySection, RegionRule

    policy = CookiePolicy.objects.filter(is_current=True).values("pk", *POLICY_FIELDS).first()
    sections: list[dict[str, Any]] = []
    regions: dict[str, str] = {}
    if policy is not None:
        pk = policy.pop("pk")
        sections = list(PolicySection.objects.filter(policy=pk).values(*SECTION_FIELDS))
        regions = dict(RegionRule.objects.filter(policy=pk).values_list("region", "regime"))
    cookies = []
    for row in Cookie.objects.order_by("category__order", "category", "order", "name", "pk").values(
        *COOKIE_FIELDS, "lifetime", "category__slug"
    ):
        lifetime = row.pop("lifetime")
        row["category"] = row.pop("category__slug")
        row["lifetime"] = None if lifetime is None else int(lifetime.total_seconds())
        cookies.append(row)
    return {
        "policy": policy,
        "sections": sections,
        "categories": list(CookieCategory.objects.values(*CATEGORY_FIELDS)),
        "cookies": cookies,
        "regions": regions,
    }
