"""The visitor's consent: the signed cookie that holds it, and the one object that answers for it.

State lives in the visitor's signed cookie; proof lives in the database (``ConsentRecord``).
Nothing here reads a table: categories and the policy version come from the registry.
"""

from __future__ import annotations

import time
import zlib
from functools import cache
from typing import Any, NamedTuple

from django.core.signing import BadSignature
from django.http import HttpRequest, HttpResponseBase

from cookieconsent.conf import get_config, on_reset
from cookieconsent.engine import regions
from cookieconsent.engine.registry import Registry, get_registry
from cookieconsent.engine.signature import SaltedSigner
from cookieconsent.regimes import DEFAULT_REGIME, OPT_IN

SALT = "cookieconsent.consent"  # the signing salt: changing it would void every consent cookie
#: A consent cookie longer than this is not even looked at (browsers cap a cookie at 4 KB).
MAX_COOKIE_LENGTH = 2048
#: The action of a dismissed notice (``Action.DISMISS``).
DISMISS = "dismiss"
#: Header names of the browser signals we read.
GPC_HEADER = "HTTP_SEC_GPC"
DNT_HEADER = "HTTP_DNT"
#: Cookie values whose signature this process has checked, and what they said. A visitor's
#: cookie does not change between their requests, and checking a signature (an HMAC, base64
#: and JSON) is most of what the middleware costs a decided visitor.
_VERIFIED: dict[str, Decision | None] = {}
_VERIFIED_LIMIT = 2048
#: Undecided visitors' categories are remembered for this many distinct sets of header values
#: per registry, each value at most this long (a CDN's country code, a signal's "1").
_UNDECIDED_LIMIT = 1024
_UNDECIDED_VALUE_LENGTH = 16
#: Seconds a decision may lie in the future (the clocks of a site's servers drift apart);
#: beyond that it is no decision, or it would never expire.
FUTURE_TOLERANCE = 300
#: Everything a signed payload that does not decode can raise (UnicodeError and
#: json.JSONDecodeError are ValueErrors).
_MALFORMED = (
    BadSignature,
    ValueError,
    TypeError,
    KeyError,
    zlib.error,
    RecursionError,
    OverflowError,
)
_signer = SaltedSigner(SALT)
#: The granted lists met in consent cookies, each as one frozenset: a site's visitors grant a
#: handful of distinct sets, and a set built once has its hash worked out once, for the memos
#: keyed by it.
_GRANTED: dict[tuple[str, ...], frozenset[str]] = {}
_GRANTED_LIMIT = 256
#: The verdict on a consent cookie that decides nothing.
_NO_VERDICT: tuple[None, frozenset[str], float, float] = (None, frozenset(), 0.0, 0.0)
#: What an undecided visitor allows, whether that depended on their region, the region, and
#: whether it depended on a browser signal.
UndecidedEntry = tuple[frozenset[str], bool, str | None, bool]


def lifetime(granted: frozenset[str]) -> int:
    """Seconds a decision holds: a consent that grants an optional category lasts
    ``CONSENT_MAX_AGE``, one that grants none ``REFUSAL_MAX_AGE``."""
    config = get_config()
    max_age: int = config["CONSENT_MAX_AGE"] if granted else config["REFUSAL_MAX_AGE"]
    return max_age


class Decision(NamedTuple):
    """What one consent cookie says. Immutable, since one is shared by every request that
    carries the same cookie; a tuple because one is built for every new visitor's cookie,
    at less than half the cost of a frozen dataclass."""

    granted: frozenset[str]
    policy_version: int
    decided_at: int  # Unix time
    action: str
    consent_id: str

    def sign(self) -> str:
        payload = {
            "g": sorted(self.granted),
            "v": self.policy_version,
            "t": self.decided_at,
            "a": self.action,
            "i": self.consent_id,
        }
        return _signer.dumps(payload)

    @classmethod
    def unsign(cls, value: str | None) -> Decision | None:
        """The decision in a cookie value, or ``None`` for anything tampered, malformed or
        oversized."""
        if not value or len(value) > MAX_COOKIE_LENGTH:
            return None
        try:
            return _VERIFIED[value]
        except KeyError:
            pass
        decision = cls._unsign(value)
        if len(_VERIFIED) >= _VERIFIED_LIMIT:
            _VERIFIED.clear()  # cheaper than an LRU, and a refill costs one check per visitor
        _VERIFIED[value] = decision
        return decision

    @classmethod
    def _unsign(cls, value: str) -> Decision | None:
        try:
            data = _signer.loads(value)
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
        key = tuple(granted)
        frozen = _GRANTED.get(key)
        if frozen is None:
            frozen = frozenset(granted)
            if len(_GRANTED) >= _GRANTED_LIMIT:
                _GRANTED.clear()
            _GRANTED[key] = frozen
        return cls(frozen, version, decided_at, action, consent_id)


class Consent:
    """Everything about one visitor's consent, resolved lazily and once per request.

    ``accessed`` turns true when anything but the middleware asks, so that the middleware adds
    ``Vary: Cookie`` only to responses that depend on the consent; ``region_read`` when the
    visitor's region was looked up, so that it adds the region headers to ``Vary`` too;
    ``signal_read`` when a browser signal (GPC, DNT) was looked at, for their headers.
    """

    __slots__ = (
        "_allowed",
        "_decision",
        "_meta",
        "_region",
        "_request",
        "_resolved",
        "_value",
        "accessed",
        "region_read",
        "registry",
        "signal_read",
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
        self._decision: Decision | None = None
        self._resolved = False
        self._allowed: frozenset[str] | None = None
        self._region: str | None = None
        self.registry = registry or get_registry()
        self.accessed = False
        self.region_read = False
        self.signal_read = False

    @classmethod
    def for_request(cls, request: HttpRequest, registry: Registry | None = None) -> Consent:
        value = request.COOKIES.get(get_config()["COOKIE_NAME"])
        return cls(value, request.META, registry, request)

    @classmethod
    def from_decision(
        cls,
        decision: Decision,
        registry: Registry | None = None,
        request: HttpRequest | None = None,
    ) -> Consent:
        consent = cls(None, request.META if request else None, registry, request)
        consent._decision, consent._resolved = decision, True
        return consent

    # -- resolution ------------------------------------------------------------------------

    def _stored(self) -> Decision | None:
        if not self._resolved:
            decision = Decision.unsign(self._value)
            if decision is not None and decision.decided_at > time.time() + FUTURE_TOLERANCE:
                decision = None
            self._decision = decision
            self._resolved = True
        return self._decision

    def _valid(self) -> Decision | None:
        decision = self._stored()
        if decision is None or self._is_stale(decision) or not self._counts(decision):
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

    def _is_stale(self, decision: Decision) -> bool:
        """Expired (see ``lifetime()``), or given under a policy that asks again."""
        if decision.policy_version < self.registry.reconsent_version:
            return True
        return decision.decided_at + self._max_age(decision) < time.time()

    def _max_age(self, decision: Decision) -> int:
        """``lifetime()`` of what ``decision`` grants of the categories still offered."""
        return lifetime(decision.granted & self.registry.offered_slugs)

    def _read_signal(self) -> str | None:
        """``_signal()``, noting that the answer depends on the signals' headers."""
        if _signal_headers():
            self.signal_read = True
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
            if self._value is not None and not self._resolved:
                allowed = self._allowed_by_cookie()
            elif self._resolved and (decision := self._valid()) is not None:
                allowed = self.registry.allowed_by(decision.granted)
            if allowed is None:
                # Remembered per registry by the values of the request headers it depends on
                # (the honoured signals' and the region's), with the region it read; worked
                # out every time when a REGION_RESOLVER decides the region.
                keys = _undecided_keys() if self._request is not None else None
                if keys is None:
                    entry = self._undecided()
                else:
                    key = tuple(map(self._meta.get, keys))
                    entry = self.registry.undecided.get(key) or self._remember_undecided(key)
                allowed, reads_region, region, reads_signal = entry
                if reads_region:
                    self.region_read, self._region = True, region
                if reads_signal:
                    self.signal_read = True
            self._allowed = allowed
        return allowed

    def _remember_undecided(self, key: tuple[str | None, ...]) -> UndecidedEntry:
        """``_undecided()``, kept in the registry's memo under the header values ``key``."""
        entry = self._undecided()
        # Header values come from visitors: remember only short ones, and a bounded number.
        if all(value is None or len(value) <= _UNDECIDED_VALUE_LENGTH for value in key):
            memo = self.registry.undecided
            if len(memo) >= _UNDECIDED_LIMIT:
                memo.clear()
            memo[key] = entry
        return entry

    def _undecided(self) -> UndecidedEntry:
        """What a visitor without a valid decision allows: only the required categories under a
        browser signal (GPC is an objection everywhere), else the default of their region's
        regime; whether that depended on the region, the region, and whether it depended on
        a signal."""
        registry = self.registry
        if registry.regimes.uniform:
            # Opt-in everywhere: the region is not even looked up, and a signal changes nothing.
            return registry.allowed_by_regime(DEFAULT_REGIME), False, None, False
        if self._signal() is not None:  # before the region: then the answer does not need it
            return registry.required_slugs, False, None, True
        allowed = registry.allowed_by_regime(self._regime())
        # A signal would have changed the answer where the regime allows more than required.
        reads_signal = bool(_signal_headers()) and allowed != registry.required_slugs
        return allowed, True, self._region, reads_signal

    def _allowed_by_cookie(self) -> frozenset[str] | None:
        """What the consent cookie allows, or ``None`` when it decides nothing now: ``_valid()``
        from what this registry worked out for the same cookie value before (the decision,
        what it allows, from when it counts, since a decision dated in the future does not,
        and until when: its lifetime, or never if the policy asks again). Only the clock and a
        dismissal's regime are looked at per request."""
        value = str(self._value)
        verdicts = self.registry.verdicts
        entry = verdicts.get(value)
        if entry is None:
            if len(value) > MAX_COOKIE_LENGTH:  # not even looked at, nor remembered
                self._decision, self._resolved = None, True
                return None
            entry = self._verdict(value)
            if len(verdicts) >= _VERIFIED_LIMIT:
                verdicts.clear()  # values come from visitors: stay bounded
            verdicts[value] = entry
        decision, allowed, counts_from, counts_until = entry
        now = time.time()
        if decision is None or now < counts_from:
            self._decision, self._resolved = None, True
            return None
        self._decision, self._resolved = decision, True
        if now > counts_until or not self._counts(decision):
            return None
        return allowed

    def _verdict(self, value: str) -> tuple[Decision | None, frozenset[str], float, float]:
        """(decision, what it allows, from when it counts, until when) for a cookie value."""
        decision = Decision._unsign(value)  # its length was checked
        if decision is None:
            return _NO_VERDICT
        registry = self.registry
        # What a granted set allows and for how long, worked out once per registry.
        grant = registry.grants.get(decision.granted)
        if grant is None:
            if len(registry.grants) >= _GRANTED_LIMIT:
                registry.grants.clear()
            grant = (registry.allowed_by(decision.granted), self._max_age(decision))
            registry.grants[decision.granted] = grant
        allowed, max_age = grant
        return (
            decision,
            allowed,
            decision.decided_at - FUTURE_TOLERANCE,
            -1.0
            if decision.policy_version < registry.reconsent_version
            else decision.decided_at + max_age,
        )

    def _region_now(self) -> str | None:
        if not self.region_read:
            self.region_read = True
            self._region = regions.region_of(self._request) if self._request else None
        return self._region

    def _regime(self) -> str:
        regimes = self.registry.regimes
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
        self.accessed = True
        regime = self._regime()
        if regime == OPT_IN:
            return None
        if self._read_signal() is not None:
            return frozenset()
        return self.registry.regime_default(regime)

    @property
    def region(self) -> str | None:
        """The visitor's region (``"DE"``, ``"US-CA"``), or ``None`` when unknown."""
        self.accessed = True
        return self._region_now()

    @property
    def regime(self) -> str:
        """``"opt-in"``, ``"opt-out"`` or ``"notice"``: the regime of the visitor's region."""
        self.accessed = True
        return self._regime()

    def allows(self, slug: str) -> bool:
        """Whether the visitor allows this category now (required ones always)."""
        self.accessed = True
        return self._allows(slug)

    @property
    def decision(self) -> Decision | None:
        """The valid stored decision, if any."""
        self.accessed = True
        return self._valid()

    @property
    def is_decided(self) -> bool:
        """A valid decision is stored, or a browser signal (GPC, DNT) stands in for one."""
        self.accessed = True
        return self._valid() is not None or self._read_signal() is not None

    @property
    def needs_renewal(self) -> bool:
        """A decision is stored but has expired, or the policy asks for consent again."""
        self.accessed = True
        decision = self._stored()
        return decision is not None and self._is_stale(decision)

    @property
    def signal(self) -> str | None:
        """``"gpc"`` or ``"dnt"`` when a browser signal answers for an undecided visitor."""
        self.accessed = True
        return None if self._valid() is not None else self._read_signal()

    @property
    def categories(self) -> frozenset[str]:
        """Slugs of every category allowed now, required ones included."""
        self.accessed = True
        return self._allowed_now()

    @property
    def consent_id(self) -> str | None:
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


@cache
def _undecided_keys() -> tuple[str, ...] | None:
    """The ``request.META`` keys an undecided visitor's categories depend on: the honoured
    browser signals' and the region's; ``None`` when a ``REGION_RESOLVER`` decides the
    region."""
    region = regions.header_keys()
    if region is None:
        return None
    return tuple(header for header, _signal in _signal_headers()) + region


on_reset(_undecided_keys.cache_clear)


@on_reset
def _forget_verified() -> None:
    _VERIFIED.clear()
    _signer.reset()


def get_consent(request: HttpRequest) -> Consent:
    """``request.cookie_consent``, created here when the middleware is not installed."""
    consent = getattr(request, "cookie_consent", None)
    if not isinstance(consent, Consent):
        consent = Consent.for_request(request)
        request.cookie_consent = consent  # type: ignore[attr-defined]
    return consent


def set_consent_cookie(response: HttpResponseBase, decision: Decision) -> None:
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
