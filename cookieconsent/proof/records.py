"""Writing the proof: one ``ConsentRecord`` per decision, pointing at the published version
and language the visitor was shown."""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from django.conf import settings
from django.http import HttpRequest
from django.utils.encoding import force_bytes
from django.utils.functional import SimpleLazyObject

from cookieconsent.conf import get_config, on_reset
from cookieconsent.engine import following
from cookieconsent.engine.consent import get_consent
from cookieconsent.models import ConsentRecord
from cookieconsent.models.records import PAGE_URL_LENGTH, USER_AGENT_LENGTH
from cookieconsent.publishing import serve as serving


def ip_hash(request: HttpRequest) -> str:
    """A keyed hash of the client address: the same visitor can be matched, the address
    cannot be read back."""
    address = request.META.get("REMOTE_ADDR") or ""
    if not address:
        return ""
    mac = _ip_key().copy()
    mac.update(address.encode())
    return mac.hexdigest()


@cache
def _ip_key() -> hmac.HMAC:
    """The HMAC keyed for ``IP_HASH_SALT`` (or one derived from ``SECRET_KEY``), to be
    copied: setting up the key costs more than hashing an address."""
    salt = get_config()["IP_HASH_SALT"] or "cookieconsent.ip:" + settings.SECRET_KEY
    return hmac.new(force_bytes(salt), digestmod=hashlib.sha256)


on_reset(_ip_key.cache_clear)


def user_pk(request: HttpRequest) -> str:
    """The signed-in user's primary key, or ``""``. Django's lazy ``request.user`` (the
    session's) is not loaded for a visitor without a session cookie: it can only be
    anonymous."""
    user = request.__dict__.get("user")
    if user is None:
        return ""
    if isinstance(user, SimpleLazyObject) and not following.has_session(request):
        return ""
    return str(user.pk) if user.is_authenticated else ""


def record_decision(
    request: HttpRequest,
    *,
    granted: frozenset[str],
    refused: frozenset[str],
    action: str,
    policy_version: int,
    page_url: str,
) -> ConsentRecord:
    """Write the record of a decision given under ``policy_version``, in the active language
    (or the version's default, if it has no snapshot in that language)."""
    # Without NULs, which PostgreSQL cannot store in text; cut to the setting, and to the
    # column whatever the setting says.
    user_agent = request.META.get("HTTP_USER_AGENT", "").replace("\x00", "")
    user_agent = user_agent[: get_config()["USER_AGENT_MAX_LENGTH"]][:USER_AGENT_LENGTH]
    # The regime and region in force where the visitor decided: part of the proof, beside the
    # snapshot of what they were shown (its banner for every regime).
    consent = get_consent(request)
    shown = serving.snapshot(policy_version)
    # One row and nothing else: the day's counts are made once it is over (stats.roll_up()).
    return ConsentRecord.objects.create(
        policy_version=policy_version,
        published_version_id=shown.version_id if shown else None,
        language=shown.language if shown else "",
        snapshot_hash=shown.hash if shown else "",
        region=consent.region or "",
        regime=consent.regime,
        granted=sorted(granted),
        refused=sorted(refused),
        action=action,
        page_url=page_url[:PAGE_URL_LENGTH],
        user_pk=user_pk(request),
        ip_hash=ip_hash(request),
        user_agent=user_agent,
    )
