"""One consent record as a consent receipt in the shape of ISO/IEC TS 27560:2023 (JSON), for
the admin's record page and ``cookieconsent_export --receipt``. The mapping of each element
to the record is in docs/proof.md; the hashes let the receipt be checked against the chain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import router

from cookieconsent.models import Action, ConsentRecord, PublishedVersion
from cookieconsent.models.chain import timestamp, values_of
from cookieconsent.models.records import slug_list
from cookieconsent.proof.chain import as_hashed

SCHEMA = "ISO/IEC TS 27560:2023"
#: ISO/IEC 29184 and TS 27560's event states, for each action.
_STATE: dict[str, str] = {
    Action.ACCEPT_ALL: "consent given",
    Action.CUSTOM: "consent given",
    Action.PREFERENCES: "consent given",
    Action.REJECT_ALL: "consent refused",
    Action.GPC: "consent refused",
    Action.DISMISS: "notice acknowledged",
}


class NotAsWritten(ValueError):
    """The record's categories are not the lists of slugs it was written with: it was changed
    below the ORM, and no receipt can say what the visitor chose."""


def _as_hashed(record: ConsentRecord) -> dt.datetime:
    """The record's time as it was hashed (``as_hashed()``), as it is read if it does not verify."""
    using = router.db_for_read(type(record), instance=record)
    given = as_hashed(values_of(record), record.chain_prev, record.chain_hash, using)
    return given or record.created_at


def receipt(record: ConsentRecord) -> dict[str, Any]:
    """The receipt of ``record``: who, what was presented, each purpose's state, when. Raises
    ``NotAsWritten`` for a record whose categories were changed below the ORM."""
    version: PublishedVersion | None = record.published_version
    policy = version.policy if version is not None else None
    given = timestamp(_as_hashed(record))
    granted, refused = slug_list(record.granted), slug_list(record.refused)
    if granted is None or refused is None:
        raise NotAsWritten(record.consent_id)
    purposes = [
        {"purposeId": slug, "lawfulBasis": "consent", "consentState": "given"} for slug in granted
    ] + [
        {"purposeId": slug, "lawfulBasis": "consent", "consentState": "refused"} for slug in refused
    ]
    return {
        "schemaVersion": SCHEMA,
        "recordId": str(record.consent_id),
        "piiPrincipalId": record.user_pk or str(record.consent_id),
        "recordTimestamp": given,
        "piiControllers": [
            {
                "piiController": policy.contact_organisation if policy else "",
                "contact": policy.contact_email if policy else "",
                "address": policy.contact_address if policy else "",
            }
        ],
        "presentedNotice": {
            "noticeId": f"v{record.policy_version}",
            "version": record.policy_version,
            "language": record.language,
            "hash": {"algorithm": "SHA-256", "value": record.snapshot_hash},
            "published": version.published_at.isoformat() if version else None,
        },
        "purposes": purposes,
        "event": [
            {
                "eventTime": given,
                "eventType": "explicit" if record.action != Action.DISMISS else "notice",
                "eventBy": "PII principal",
                "eventState": _STATE.get(record.action, record.action),
                "action": record.action,
                "collectionMethod": "web form",
                "page": record.page_url,
                "jurisdiction": {"region": record.region, "regime": record.regime},
            }
        ],
        "integrity": {
            "algorithm": "SHA-256",
            "previousHash": record.chain_prev,
            "recordHash": record.chain_hash,
        },
    }
