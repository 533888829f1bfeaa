"""The visitor's consent: the signed cookie that holds it, and the one object that answers for it.

State lives in the visitor's signed cookie; proof lives in the database (``ConsentRecord``).
Nothing here reads a table: categories and the policy version come from the registry.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
import zlib
from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple

from django.core import signing
from django.http import HttpRequest, HttpResponseBase
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes

from cookieconsent.caching import Memo, PerRegistry
from cookieconsent.conf import get_config, on_reset
from cookieconsent.engine import regions
from cookieconsent.engine.registry import Registry, get_registry
from cookieconsent.regimes import DEFAULT_REGIME, OPT_IN, OPT_OUT

SALT = "cookieconsent.consent"  # the signing salt: changing it would void every consent cookie
#: A consent cookie longer than this is not even looked at (browsers cap a cookie at 4 KB).
MAX_COOKIE_LENGTH = 2048
#: A compressed payload may not inflate beyond this (Django's own ``loads()`` does not bound it).
MAX_INFLATED = 8192
#: The action of a dismissed notice (``Action.DISMISS``).
DISMISS = "dismiss"
#: Header names of the browser signals we read.
GPC_HEADER = "HTTP_SEC_GPC"
DNT_HEADER = "HTTP_DNT"
#: Seconds a decision may lie in the future (the clocks of a site's servers drift apart);
#: beyond that it is no decision, or it would never expire.
FUTURE_TOLERANCE = 300
#: Everything a signed payload that does not decode can raise (UnicodeError and
#: json.JSONDecodeError are ValueErrors).
_MALFORMED = (
    signing.BadSignature,
    ValueError,
    TypeError,
    KeyError,
    zlib.error,
    RecursionError,
    OverflowError,
)


def lifetime(granted: frozenset[str]) -> int:
    """Seconds a decision holds: a consent that grants an optional category lasts
    ``CONSENT_MAX_AGE``, one that grants none ``REFUSAL_MAX_AGE``."""
    config = get_config()
    max_age: int = config["CONSENT_MAX_AGE"] if granted else config["REFUSAL_MAX_AGE"]
    return max_age


class _Signer(signing.TimestampSigner):
    """The consent cookie's signer: Django's ``TimestampSigner`` (what ``signing.dumps(obj,
    salt=SALT)`` writes, ``signing.loads(value, salt=SALT)`` reads, and the other way round),
    keyed once.

    Django's signer derives its HMAC key from ``SECRET_KEY`` on every call (``salted_hmac()``
    hashes the salt and the secret before the message), and reads a signed object through
    several layers; for a cookie this short, that is most of the cost. This one asks
    ``salted_hmac()`` once per key for an HMAC fed with nothing yet, copies it for each
    message, and ``loads()`` is ``unsign_object()`` in one step. Each consent cookie value not
    remembered yet (``_verdicts``) is read through it.
    """

    def __init__(self) -> None:
        super().__init__(salt=SALT)
        # Signer.signature(): ``key or self.key``, so an empty fallback is the current key.
        self._macs = {
            key: salted_hmac(SALT + "signer", b"", key, algorithm=self.algorithm)
            for key in dict.fromkeys(k or self.key for k in (self.key, *self.fallback_keys))
        }

    def signature(self, value: str | bytes, key: str | bytes | None = None) -> str:
        return signing.b64_encode(self._mac(key or self.key, force_bytes(value))).decode()

    def _mac(self, key: str | bytes, message: bytes) -> bytes:
        mac = self._macs[key].copy()
        mac.update(message)
        return mac.digest()

    def loads(self, signed: str) -> Any:
        """``unsign_object(signed)``: the object, or ``BadSignature`` (or another of
        ``_MALFORMED``) for a value that is not one. (The timestamp is not decoded: no
        ``max_age`` is checked against it.)"""
        value, sep, signature = signed.rpartition(self.sep)
        if not sep:
            raise signing.BadSignature("No signature")
        given, message = signature.encode(), value.encode()
        for key in self._macs:
            if hmac.compare_digest(given, signing.b64_encode(self._mac(key, message))):
                break
        else:
            raise signing.BadSignature("Signature does not match")
        payload, sep, _timestamp = value.rpartition(self.sep)
        if not sep:
            raise signing.BadSignature("No timestamp")
        if payload[:1] == ".":
            data = _inflated(signing.b64_decode(payload[1:].encode()))
        else:
            data = signing.b64_decode(payload.encode())
        return json.loads(data.decode("latin-1"))


def _inflated(data: bytes) -> bytes:
    """``zlib.decompress(data)``, refused beyond ``MAX_INFLATED`` bytes."""
    inflater = zlib.decompressobj()
    inflated = inflater.decompress(data, MAX_INFLATED)
    if inflater.unconsumed_tail or not inflater.eof:
        raise ValueError("A compressed payload that inflates too far, or is cut short.")
    return inflated


@cache
def _signer() -> _Signer:
    """One signer for the consent cookie, in ``signing.dumps()``'s format, made once per
    ``SECRET_KEY`` (and ``SECRET_KEY_FALLBACKS``): a signer reads them when it is made."""
    return _Signer()


on_reset(_signer.cache_clear)


class Decision(NamedTuple):
    """What one consent cookie says. Immutable, since one is shared by every request that
    carries the same cookie."""

    #: Slugs of the optional categories the visitor granted.
    granted: frozenset[str]
    #: The number of the published version they decided under (0 before the first publish).
    policy_version: int
    #: When they decided, in Unix time.
    decided_at: int
    #: How: ``accept_all``, ``reject_all``, ``custom``, ``preferences``, ``gpc`` or ``dismiss``.
    action: str
    #: The ID of the consent record written for it, which the visitor can quote.
    consent_id: str

    def sign(self) -> str:
        """The signed value of the consent cookie that holds this decision."""
        payload = {
            "g": sorted(self.granted),
            "v": self.policy_version,
            "t": self.decided_at,
            "a": self.action,
            "i": self.consent_id,
        }
        return _signer().sign_object(payload)

    @classmethod
    def unsign(cls, value: str | None) -> Decision | None:
        """The decision in a cookie value, or ``None`` for anything tampered, malformed or
        oversized."""
        if not value or len(value) > MAX_COOKIE_LENGTH:
            return None
        try:
            data = _signer().loads(value)
            granted, version, decided_at, action, consent_id = (
                data["g"],
                data["v"],
                data["t"],
                data["a"],
                data["i"],
            )
            # str.join() refuses anything but strings: every category is one.
            "".join(granted)
        except _MALFORMED:
            return None
        if not (
            type(granted) is list
            and type(version) is int
            and type(decided_at) is int
            and type(action) is str
            and type(consent_id) is str
        ):
            return None
        return cls(frozenset(granted), version, decided_at, action, consent_id)


class Verdict(NamedTuple):
    """What a stored decision means under one registry: worked out once per consent cookie
    value (``_verdicts``), then only compared with the clock."""

    decision: Decision | None
    #: Every category it allows while it counts.
    allowed: frozenset[str]
    #: It counts from then (a decision dated in the future does not)...
    counts_from: float
    #: ...until then: its lifetime, or never (-1) when the policy has asked again since.
    counts_until: float

    @classmethod
    def of(cls, decision: Decision | None, registry: Registry) -> Verdict:
        if decision is None:
            return _NO_VERDICT
        offered = decision.granted & registry.offered_slugs
        if decision.policy_version < registry.reconsent_version:
            until = -1.0
        else:
            until = decision.decided_at + lifetime(offered)
        granted = decision.granted
        if decision.action == DISMISS:
            # A dismissal is no consent: it never allows a category that waits for consent
            # everywhere, even one made so after the visitor dismissed.
            granted -= registry.regimes.always_opt_in
        return cls(
            decision,
            registry.allowed_by(granted),
            decision.decided_at - FUTURE_TOLERANCE,
            until,
        )


_NO_VERDICT = Verdict(None, frozenset(), 0.0, 0.0)
#: What an undecided visitor allows, whether that depended on their region, the region, and
#: whether it depended on a browser signal.
UndecidedEntry = tuple[frozenset[str], bool, str | None, bool]
#: Consent cookie value → its verdict, per registry. A returning visitor's cookie does not
#: change between requests, and checking its signature (an HMAC, base64 and JSON) is most of
#: what the middleware costs them.
_verdicts: PerRegistry[str, Verdict] = PerRegistry(limit=2048)


class Consent:
    """One visitor's consent, as ``request.cookie_consent``: which categories they allow, what
    they decided and whether they must be asked again.

    It is worked out lazily, once per request, from the signed consent cookie, the published
    policy, the visitor's region and their browser's signals (GPC, DNT). A site never makes one:
    the middleware does (or ``get_consent()`` without it).
    """

    # ``_accessed`` turns true when anything but the middleware asks, so that the middleware
    # adds ``Vary: Cookie`` only to responses that depend on the consent; ``_region_read`` when
    # the visitor's region was looked up, so that it adds the region headers to ``Vary`` too;
    # ``_signal_read`` when a browser signal (GPC, DNT) was looked at, for their headers.
    # ``_theirs`` asks for the signed-in user's latest decision (``CONSENT_FOLLOWS_USER``, see
    # ``engine.following``); ``_adopted`` is that decision once this browser took it over, for
    # the middleware to write into the consent cookie; ``_superseded`` is true when that
    # decision, later than this browser's own, does not count here, for the middleware to
    # expire the consent cookie (the own decision must not count again once signed out).

    __slots__ = (
        "_accessed",
        "_adopted",
        "_allowed",
        "_meta",
        "_region",
        "_region_read",
        "_registry",
        "_request",
        "_signal_read",
        "_superseded",
        "_theirs",
        "_value",
        "_verdict",
    )

    def __init__(
        self,
        value: str | None,
        meta: dict[str, Any] | None = None,
        registry: Registry | None = None,
        request: HttpRequest | None = None,
    ) -> None:
        self._value = value
        self._meta = meta or {}
        self._request = request
        self._verdict: Verdict | None = None
        self._allowed: frozenset[str] | None = None
        self._region: str | None = None
        self._registry = registry or get_registry()
        self._accessed = False
        self._region_read = False
        self._signal_read = False
        self._theirs: Callable[[], Decision | None] | None = None
        self._adopted: Decision | None = None
        self._superseded = False

    @classmethod
    def _for_request(cls, request: HttpRequest, registry: Registry | None = None) -> Consent:
        value = request.COOKIES.get(get_config()["COOKIE_NAME"])
        return cls(value, request.META, registry, request)

    @classmethod
    def _from_decision(
        cls,
        decision: Decision,
        registry: Registry | None = None,
        request: HttpRequest | None = None,
    ) -> Consent:
        consent = cls(None, request.META if request else None, registry, request)
        consent._verdict = Verdict.of(decision, consent._registry)
        return consent

    # -- resolution ------------------------------------------------------------------------

    def _judged(self) -> Verdict:
        """The verdict on the stored decision: every question about it starts here."""
        verdict = self._verdict
        if verdict is None:
            value = self._value
            if not value or len(value) > MAX_COOKIE_LENGTH:  # not even looked at
                verdict = _NO_VERDICT
            else:
                memo = _verdicts.of(self._registry)
                verdict = memo.get(value)
                if verdict is None:
                    verdict = Verdict.of(Decision.unsign(value), self._registry)
                    memo.remember(value, verdict)
            self._verdict = verdict
            if self._theirs is not None:
                verdict = self._verdict = self._followed(verdict)
        return verdict

    def _followed(self, own: Verdict) -> Verdict:
        """The verdict once the signed-in user's latest decision is weighed against this
        browser's own: the later of the two wins, and the user's is taken over only if it
        counts here and now, by the same rules as any stored decision (``_valid()``): not
        stale, not a dismissal under opt-in or against a browser signal. One that does not
        count still wins: the browser's own earlier decision, which it superseded, never
        counts again, and the visitor is asked as if their own had gone stale."""
        theirs_of, self._theirs = self._theirs, None
        theirs = theirs_of() if theirs_of is not None else None
        mine = own.decision
        if theirs is None:
            return own
        if mine is not None and (
            mine.consent_id == theirs.consent_id or mine.decided_at >= theirs.decided_at
        ):
            return own
        self._verdict = Verdict.of(theirs, self._registry)
        if self._valid() is not None:
            self._adopted = theirs
        elif mine is not None:
            self._superseded = True
        return self._verdict

    def _judge_again(self) -> None:
        """Forget the verdict and what it allows (not what the page read): the signed-in user
        to follow (``_theirs``, set next) was not known when the page asked."""
        self._verdict = self._allowed = self._adopted = None
        self._superseded = False

    def _stored(self) -> Decision | None:
        """The decision in the consent cookie, stale or not; not one dated in the future."""
        verdict = self._judged()
        if verdict.decision is None or time.time() < verdict.counts_from:
            return None
        return verdict.decision

    def _is_stale(self) -> bool:
        """Expired (see ``lifetime()``), or given under a policy that asks again."""
        return time.time() > self._judged().counts_until

    def _valid(self) -> Decision | None:
        """The stored decision, if it counts on this request."""
        verdict = self._judged()
        decision = verdict.decision
        now = time.time()
        if (
            decision is None
            or not verdict.counts_from <= now <= verdict.counts_until
            or not self._counts(decision)
        ):
            return None
        return decision

    def _counts(self, decision: Decision) -> bool:
        """Whether a stored decision that has not gone stale counts on this request. Dismissing
        a notice is no consent: where consent is asked for (opt-in) it does not count, and it
        never outranks a browser signal, which objects to every optional category until the
        visitor chooses otherwise."""
        if decision.action != DISMISS:
            return True
        return self._regime() != OPT_IN and self._read_signal() is None

    def _read_signal(self) -> str | None:
        """``_signal()``, noting that the answer depends on the signals' headers."""
        if _signal_headers():
            self._signal_read = True
        return self._signal()

    def _signal(self) -> str | None:
        meta = self._meta
        for header, signal in _signal_headers():
            if header in meta and meta[header].strip() == "1":
                return signal
        return None

    def _allowed_now(self) -> frozenset[str]:
        """``categories`` without marking the consent as read by the page: the middleware's.
        Worked out once per request: the middleware asks for every cookie."""
        allowed = self._allowed
        if allowed is None:
            # (Most first responses carry no consent cookie: nothing to judge.)
            if self._value is None and self._verdict is None and self._theirs is None:
                allowed = self._allowed_undecided()
            elif self._valid():
                allowed = self._judged().allowed
            else:
                allowed = self._allowed_undecided() & self._left_allowed()
            self._allowed = allowed
        return allowed

    def _left_allowed(self) -> frozenset[str]:
        """What a stored decision that no longer counts (expired, or the policy asks again)
        leaves allowed: what it did not allow stays refused until the visitor chooses again,
        what it allowed needs the regime or a new choice. Under opt-out the regime's default
        would let everything it refused through again. A dismissal's too: it carries the
        refusals made before it. (A category published since counts as refused: the decision
        cannot tell it from one refused. Every category when there is no decision.)"""
        if self._stored() is None:
            return self._registry.required_slugs | self._registry.offered_slugs
        return self._judged().allowed

    def _allowed_undecided(self) -> frozenset[str]:
        """What the visitor allows without a valid decision, noting what it depended on."""
        allowed, reads_region, region, reads_signal = self._undecided()
        if reads_region:
            self._region_read, self._region = True, region
        if reads_signal:
            self._signal_read = True
        return allowed

    def _undecided(self) -> UndecidedEntry:
        """What a visitor without a valid decision allows: only the required categories under a
        browser signal (GPC is an objection everywhere), else the default of their region's
        regime; whether that depended on the region, the region, and whether it depended on
        a signal."""
        registry = self._registry
        if registry.regimes.uniform:
            # Opt-in everywhere: the region is not even looked up, and a signal changes nothing.
            return registry.allowed_by_regime(DEFAULT_REGIME), False, None, False
        if self._signal() is not None:  # before the region: then the answer does not need it
            return registry.required_slugs, False, None, True
        allowed = registry.allowed_by_regime(self._regime())
        # A signal would have changed the answer where the regime allows more than required.
        reads_signal = bool(_signal_headers()) and allowed != registry.required_slugs
        return allowed, True, self._region, reads_signal

    def _region_now(self) -> str | None:
        if not self._region_read:
            self._region_read = True
            self._region = regions.region_of(self._request) if self._request else None
        return self._region

    def _regime(self) -> str:
        regimes = self._registry.regimes
        if regimes.uniform:  # nothing differs by region: do not even look it up
            return DEFAULT_REGIME
        return regimes.regime_for(self._region_now())

    def _allows(self, slug: str) -> bool:
        """``allows()`` without marking the consent as read by the page (the middleware's)."""
        return slug in self._allowed_now()

    # -- the public questions --------------------------------------------------------------

    def dismissal(self) -> frozenset[str] | None:
        """What dismissing the notice keeps allowed; ``None`` under opt-in, which has none.
        Nothing optional under a browser signal: a dismissal never outranks it."""
        self._accessed = True
        regime = self._regime()
        if regime == OPT_IN:
            return None
        if self._read_signal() is not None:
            return frozenset()
        # Nor does it outrank the visitor's own refusal (an OK pressed in an older tab).
        return self._registry.regime_default(regime) & self._left_allowed()

    @property
    def region(self) -> str | None:
        """The visitor's region (``"DE"``, ``"US-CA"``), or ``None`` when unknown."""
        self._accessed = True
        return self._region_now()

    @property
    def regime(self) -> str:
        """``"opt-in"``, ``"opt-out"`` or ``"notice"``: the regime of the visitor's region."""
        self._accessed = True
        return self._regime()

    def allows(self, slug: str) -> bool:
        """Whether the visitor allows this category now (required ones always). A slug of no
        category of the published version is never allowed, and logged once."""
        self._accessed = True
        if self._allows(slug):
            return True
        _warn_if_unknown(slug, self._registry)
        return False

    @property
    def decision(self) -> Decision | None:
        """The valid stored decision, if any."""
        self._accessed = True
        return self._valid()

    @property
    def is_decided(self) -> bool:
        """A valid decision is stored, or a browser signal (GPC, DNT) stands in for one."""
        self._accessed = True
        return self._valid() is not None or self._read_signal() is not None

    @property
    def needs_renewal(self) -> bool:
        """A decision is stored but has expired, or the policy asks for consent again."""
        self._accessed = True
        return self._stored() is not None and self._is_stale()

    @property
    def signal(self) -> str | None:
        """``"gpc"`` or ``"dnt"`` when a browser signal answers for an undecided visitor."""
        self._accessed = True
        return None if self._valid() is not None else self._read_signal()

    @property
    def opt_out_honored(self) -> bool:
        """Global Privacy Control is honoured as this visitor's opt-out: they send it, their
        region's regime is opt-out, and no explicit choice of theirs outranks it. The CCPA
        regulations (§7025(c)(6)) ask the site to display that it was."""
        self._accessed = True
        return self._regime() == OPT_OUT and self.signal == "gpc"

    @property
    def categories(self) -> frozenset[str]:
        """Slugs of every category allowed now, required ones included."""
        self._accessed = True
        return self._allowed_now()

    @property
    def consent_id(self) -> str | None:
        """The ID of the visitor's valid decision (the one its consent record holds, which they
        can quote), or ``None``."""
        decision = self.decision
        return decision.consent_id if decision is not None else None

    def as_dict(self) -> dict[str, Any]:
        """The state as the JSON endpoint and the script see it."""
        decision = self.decision
        return {
            "decided": self.is_decided,
            "needs_renewal": self.needs_renewal,
            "categories": sorted(self.categories),
            "action": decision.action if decision else self.signal,
            "consent_id": decision.consent_id if decision else None,
            "policy_version": decision.policy_version if decision else None,
            "decided_at": decision.decided_at if decision else None,
            # Not the region: the banner, rendered once per regime, carries this state.
            "regime": self.regime,
        }


@cache
def _signal_headers() -> tuple[tuple[str, str], ...]:
    """The browser signals honoured, in order: (``request.META`` key, signal)."""
    config = get_config()
    honoured = (
        (GPC_HEADER, "gpc", config["HONOUR_GPC"]),
        (DNT_HEADER, "dnt", config["HONOUR_DNT"]),
    )
    return tuple((header, signal) for header, signal, on in honoured if on)


on_reset(_signal_headers.cache_clear)

#: The HTTP header of each browser signal, as ``Vary`` names it.
_SIGNAL_HEADER_NAMES = {"gpc": "Sec-GPC", "dnt": "DNT"}


def signal_vary_headers() -> tuple[str, ...]:
    """The headers of the honoured browser signals, for ``Vary``."""
    return tuple(_SIGNAL_HEADER_NAMES[signal] for _header, signal in _signal_headers())


@on_reset
def _forget() -> None:
    _verdicts.clear()


logger = logging.getLogger("cookieconsent")
#: Slugs asked about that name no published category, logged already; bounded, since a
#: template may pass a variable.
_unknown: Memo[str, bool] = Memo(limit=256)
on_reset(_unknown.clear)


def _warn_if_unknown(slug: str, registry: Registry) -> None:
    """Log, once per slug, that ``slug`` names no category of the published version: what it
    guards is never allowed (a typo, or a category not published yet)."""
    if slug in registry.required_slugs or slug in registry.optional_slugs or slug in _unknown:
        return
    _unknown.remember(slug, True)
    logger.warning(
        "cookieconsent: %r is no category of the published version, so nothing is allowed "
        "under it (a typo, or a category not published yet). The categories are: %s.",
        slug,
        ", ".join(sorted(registry.required_slugs | registry.optional_slugs)) or "none",
    )


def get_consent(request: HttpRequest) -> Consent:
    """``request.cookie_consent``, created here when the middleware is not installed."""
    consent = getattr(request, "cookie_consent", None)
    if not isinstance(consent, Consent):
        consent = Consent._for_request(request)
        request.cookie_consent = consent  # type: ignore[attr-defined]
    return consent


def set_consent_cookie(response: HttpResponseBase, decision: Decision) -> None:
    """Put the signed decision on the response as the consent cookie, for its lifetime."""
    config = get_config()
    response.set_cookie(
        config["COOKIE_NAME"],
        decision.sign(),
        max_age=lifetime(decision.granted),
        path=config["COOKIE_PATH"],
        domain=config["COOKIE_DOMAIN"],
        secure=config["COOKIE_SECURE"],
        httponly=False,  # the script reads it in cache-safe mode; it holds nothing secret
        samesite=config["COOKIE_SAMESITE"],
    )


def expire_consent_cookie(response: HttpResponseBase) -> None:
    """Expire the consent cookie in the browser, with the path and domain it was set with."""
    config = get_config()
    response.delete_cookie(
        config["COOKIE_NAME"],
        path=config["COOKIE_PATH"],
        domain=config["COOKIE_DOMAIN"],
        samesite=config["COOKIE_SAMESITE"],
    )
