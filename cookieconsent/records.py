"""Writing the proof: one ``ConsentRecord`` per decision."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.encoding import force_bytes
from django.utils.translation import get_language, gettext

from cookieconsent import stats
from cookieconsent.conf import get_config
from cookieconsent.consent import get_consent
from cookieconsent.models import ConsentRecord, CookieCategory, CookiePolicy
from cookieconsent.registry import StampedCache, get_registry

#: The banner's own words, part of what the visitor was shown (hashed with the policy text).
BANNER_STRINGS = (
    "Cookie consent",
    "We use cookies to keep you signed in and the site secure. With your consent we also use "
    "optional cookies to remember your preferences and understand how the site is used.",
    "Read our Cookie Policy",
    "Accept all",
    "Reject all",
    "Customise",
)
#: The notices shown instead of the banner under the other regimes (hashed when shown).
NOTICE_STRINGS = {
    "opt-out": (
        "Your privacy choices",
        "We use optional cookies to remember your preferences and understand how the site is "
        "used. You can object at any time.",
        "Read our Cookie Policy",
        "Do not sell or share my information",
        "Cookie settings",
        "OK",
    ),
    "notice": (
        "Cookies on this site",
        "We use cookies to keep you signed in and the site secure, and optional cookies to "
        "remember your preferences and understand how the site is used.",
        "Read our Cookie Policy",
        "Cookie settings",
        "OK",
    ),
}


#: Text hashes by language and regime, for the current registry.
_text_hashes: StampedCache[tuple[str, str], str] = StampedCache()


def text_hash(regime: str = "opt-in") -> str:
    """SHA-256 of the banner text (the notice's, under the opt-out and notice regimes) and the
    current policy (its sections and categories), in the visitor's language; computed once per
    language and regime until staff change the policy."""
    strings = NOTICE_STRINGS.get(regime, BANNER_STRINGS)
    return _text_hashes.get(
        get_registry(), (get_language() or "", regime), lambda: _compute_text_hash(strings)
    )


def _compute_text_hash(strings: tuple[str, ...] = BANNER_STRINGS) -> str:
    digest = hashlib.sha256()
    for string in strings:
        digest.update(gettext(string).encode())
        digest.update(b"\0")
    policy = CookiePolicy.current()
    if policy is not None:
        digest.update(f"{policy.title}\0{policy.version}\0{policy.introduction}\0".encode())
        for heading, body in policy.sections.values_list("heading", "body"):
            digest.update(f"{heading}\0{body}\0".encode())
    for slug, name, purpose, required in CookieCategory.objects.values_list(
        "slug", "name", "purpose", "required"
    ):
        digest.update(f"{slug}\0{name}\0{purpose}\0{required}\0".encode())
    return digest.hexdigest()


def ip_hash(request: HttpRequest) -> str:
    """A keyed hash of the client address: the same visitor can be matched, the address
    cannot be read back."""
    address = request.META.get("REMOTE_ADDR") or ""
    if not address:
        return ""
    salt = get_config()["IP_HASH_SALT"] or "cookieconsent.ip:" + settings.SECRET_KEY
    return hmac.new(force_bytes(salt), address.encode(), hashlib.sha256).hexdigest()


def record_decision(
    request: HttpRequest,
    *,
    granted: frozenset[str],
    refused: frozenset[str],
    action: str,
    policy_version: int,
    page_url: str,
) -> ConsentRecord:
    user = getattr(request, "user", None)
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    # The regime and region in force where the visitor decided: part of the proof.
    consent = get_consent(request)
    regime = consent.regime
    with transaction.atomic():
        record = ConsentRecord.objects.create(
            policy_version=policy_version,
            text_hash=text_hash(regime),
            region=consent.region or "",
            regime=regime,
            granted=sorted(granted),
            refused=sorted(refused),
            action=action,
            page_url=page_url[:500],
            user=user if user is not None and user.is_authenticated else None,
            ip_hash=ip_hash(request),
            user_agent=user_agent[: get_config()["USER_AGENT_MAX_LENGTH"]][:500],
        )
        # The day's counts, in the same transaction: they survive the retention purge.
        stats.count_record(record)
    return record
