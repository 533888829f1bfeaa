"""Writing the proof: one ``ConsentRecord`` per decision, pointing at the published version
and language the visitor was shown."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.http import HttpRequest
from django.utils.encoding import force_bytes

from cookieconsent import publishing
from cookieconsent.conf import get_config
from cookieconsent.consent import get_consent
from cookieconsent.models import ConsentRecord


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
    """Write the record of a decision given under ``policy_version``, in the active language
    (or the version's default, if it has no snapshot in that language)."""
    user = getattr(request, "user", None)
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    # The regime and region in force where the visitor decided: part of the proof, beside the
    # snapshot of what they were shown (its banner for every regime).
    consent = get_consent(request)
    shown = publishing.snapshot(policy_version)
    # One row and nothing else: the day's counts are made once it is over (stats.roll_up()).
    return ConsentRecord.objects.create(
        policy_version=policy_version,
        published_version_id=shown.version_id if shown else None,
        language=shown.language if shown else "",
        text_hash=shown.hash if shown else "",
        region=consent.region or "",
        regime=consent.regime,
        granted=sorted(granted),
        refused=sorted(refused),
        action=action,
        page_url=page_url[:500],
        user_pk=str(user.pk) if user is not None and user.is_authenticated else "",
        ip_hash=ip_hash(request),
        user_agent=user_agent[: get_config()["USER_AGENT_MAX_LENGTH"]][:500],
    )
