"""Django's signed-object format (``signing.dumps(obj, salt=...)``) without its per-call cost.

``django.core.signing`` derives the salted HMAC key from ``SECRET_KEY`` again on every call and
builds a signer that reads the settings each time; for a short cookie that is most of the cost.
``SaltedSigner`` derives the key for ``SECRET_KEY`` and each of ``SECRET_KEY_FALLBACKS`` once
and keeps them until those settings change (see ``reset()``). What it writes, Django's
``signing.loads(value, salt=...)`` reads, and the other way round.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import zlib
from typing import Any

from django.conf import settings
from django.core.signing import BadSignature, b62_encode
from django.utils.encoding import force_bytes

SEP = ":"
#: A compressed payload may not inflate beyond this (Django's own loads() does not bound it).
MAX_INFLATED = 8192


class SaltedSigner:
    """``signing.dumps()`` / ``signing.loads()`` for one salt, with the keys derived once."""

    __slots__ = ("_keys", "salt")

    def __init__(self, salt: str) -> None:
        self.salt = salt
        self._keys: tuple[hmac.HMAC, ...] | None = None

    def keys(self) -> tuple[hmac.HMAC, ...]:
        """An HMAC keyed for ``SECRET_KEY``, then one for each fallback, to be copied: a copy
        skips the key set-up and OpenSSL's look-up of the digest, which cost more than the
        HMAC of a short cookie."""
        keys = self._keys
        if keys is None:
            # Signer.signature(): salted_hmac(salt + "signer", value, key, algorithm="sha256").
            prefix = force_bytes(self.salt + "signer")
            secret = settings.SECRET_KEY
            # Signer uses ``key or self.key``: an empty fallback is the current key, never "".
            secrets = [secret, *(s or secret for s in settings.SECRET_KEY_FALLBACKS)]
            derived = dict.fromkeys(
                hashlib.sha256(prefix + force_bytes(s)).digest() for s in secrets
            )
            keys = tuple(hmac.new(key, digestmod=hashlib.sha256) for key in derived)
            self._keys = keys
        return keys

    def reset(self) -> None:
        """Forget the derived keys (``SECRET_KEY`` or its fallbacks changed)."""
        self._keys = None

    def _signature(self, keyed: hmac.HMAC, value: bytes) -> str:
        mac = keyed.copy()
        mac.update(value)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()

    def dumps(self, obj: Any) -> str:
        """What ``signing.dumps(obj, salt=self.salt)`` returns (uncompressed)."""
        data = json.dumps(obj, separators=(",", ":")).encode("latin-1")
        value = f"{base64.urlsafe_b64encode(data).rstrip(b'=').decode()}{SEP}"
        value += b62_encode(int(time.time()))
        return f"{value}{SEP}{self._signature(self.keys()[0], value.encode())}"

    def loads(self, signed: str) -> Any:
        """The object in a value ``signing.dumps(obj, salt=self.salt)`` wrote.

        Raises ``BadSignature`` when the signature does not match any key, and ``ValueError``
        (``binascii.Error``, ``UnicodeError``, ``json.JSONDecodeError``), ``zlib.error`` or
        ``RecursionError`` for a signed payload that does not decode.
        """
        value, sep, signature = signed.rpartition(SEP)
        if not sep or not signature.isascii():
            raise BadSignature("No signature")
        message = value.encode()
        for key in self.keys():
            if hmac.compare_digest(signature, self._signature(key, message)):
                break
        else:
            raise BadSignature("Signature does not match")
        payload, sep, _timestamp = value.rpartition(SEP)
        if not sep:
            raise BadSignature("No timestamp")
        compressed = payload[:1] == "."
        if compressed:
            payload = payload[1:]
        data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        if compressed:
            inflater = zlib.decompressobj()
            data = inflater.decompress(data, MAX_INFLATED)
            if inflater.unconsumed_tail or not inflater.eof:
                raise ValueError("Compressed payload too large or truncated")
        return json.loads(data.decode("latin-1"))
