"""Django's signed-object format (``signing.dumps(obj, salt=...)``) without its per-call cost.

``django.core.signing`` derives the salted HMAC key from ``SECRET_KEY`` again on every call and
builds a signer that reads the settings each time; for a short cookie that is most of the cost.
``SaltedSigner`` derives the key for ``SECRET_KEY`` and each of ``SECRET_KEY_FALLBACKS`` once
and keeps them until those settings change (see ``reset()``). What it writes, Django's
``signing.loads(value, salt=...)`` reads, and the other way round.

For each key it keeps SHA-256 already fed with the key's inner and outer pad (RFC 2104, as
``hmac`` itself does without OpenSSL), so that an HMAC is two copies and three short updates:
about half of what copying an ``hmac.HMAC`` costs. Base64 goes straight through ``binascii``
and the JSON through ``JSONDecoder.raw_decode()``: the same bytes in, the same objects out as
``base64.urlsafe_b64decode()`` and ``json.loads()``, without their layers of checks.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
import time
import zlib
from typing import Any

from django.conf import settings
from django.core.signing import BadSignature, b62_encode, b64_encode
from django.utils.encoding import force_bytes

SEP = ":"
#: A compressed payload may not inflate beyond this (Django's own loads() does not bound it).
MAX_INFLATED = 8192
#: urlsafe base64 to and from the standard alphabet, for binascii.
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_PADDING = ("", "===", "==", "=")
_DECODER = json.JSONDecoder()
#: An HMAC-SHA256 key: SHA-256 fed with the key's inner pad, and with its outer pad.
Pads = tuple["hashlib._Hash", "hashlib._Hash"]


def _pads(key: bytes) -> Pads:
    block = key.ljust(64, b"\0")  # the key is a 32-byte digest: never longer than a block
    return (
        hashlib.sha256(bytes(b ^ 0x36 for b in block)),
        hashlib.sha256(bytes(b ^ 0x5C for b in block)),
    )


def b64_decode(text: str) -> bytes:
    """``django.core.signing.b64_decode()`` without ``base64``'s layers (the read of every new
    visitor's cookie goes through it): ``ValueError`` for text that is not ASCII."""
    return binascii.a2b_base64(
        (text + _PADDING[len(text) % 4]).encode("ascii").translate(_FROM_URLSAFE)
    )


class SaltedSigner:
    """``signing.dumps()`` / ``signing.loads()`` for one salt, with the keys derived once."""

    __slots__ = ("_keys", "salt")

    def __init__(self, salt: str) -> None:
        self.salt = salt
        self._keys: tuple[Pads, ...] | None = None

    def keys(self) -> tuple[Pads, ...]:
        """The HMAC key for ``SECRET_KEY``, then one for each fallback, as pads to copy."""
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
            keys = tuple(_pads(key) for key in derived)
            self._keys = keys
        return keys

    def reset(self) -> None:
        """Forget the derived keys (``SECRET_KEY`` or its fallbacks changed)."""
        self._keys = None

    @staticmethod
    def _signature(pads: Pads, value: bytes) -> bytes:
        """``Signer.signature()``, as ASCII bytes."""
        inner, outer = pads[0].copy(), pads[1].copy()
        inner.update(value)
        outer.update(inner.digest())
        # 32 bytes are 43 base64 characters and one "=", which Django strips.
        return binascii.b2a_base64(outer.digest(), newline=False).translate(_TO_URLSAFE)[:43]

    def dumps(self, obj: Any) -> str:
        """What ``signing.dumps(obj, salt=self.salt)`` returns (uncompressed)."""
        data = json.dumps(obj, separators=(",", ":")).encode("latin-1")
        value = f"{b64_encode(data).decode()}{SEP}{b62_encode(int(time.time()))}"
        return f"{value}{SEP}{self._signature(self.keys()[0], value.encode()).decode()}"

    def loads(self, signed: str) -> Any:
        """The object in a value ``signing.dumps(obj, salt=self.salt)`` wrote.

        Raises ``BadSignature`` when the signature does not match any key, and ``ValueError``
        (``binascii.Error``, ``UnicodeError``, ``json.JSONDecodeError``), ``zlib.error`` or
        ``RecursionError`` for a signed payload that does not decode.
        """
        value, sep, signature = signed.rpartition(SEP)
        if not sep or not signature.isascii():
            raise BadSignature("No signature")
        given = signature.encode()
        message = value.encode()
        for pads in self.keys():
            if hmac.compare_digest(given, self._signature(pads, message)):
                break
        else:
            raise BadSignature("Signature does not match")
        payload, sep, _timestamp = value.rpartition(SEP)
        if not sep:
            raise BadSignature("No timestamp")
        compressed = payload[:1] == "."
        if compressed:
            payload = payload[1:]
        data = b64_decode(payload)
        if compressed:
            inflater = zlib.decompressobj()
            data = inflater.decompress(data, MAX_INFLATED)
            if inflater.unconsumed_tail or not inflater.eof:
                raise ValueError("Compressed payload too large or truncated")
        text = data.decode("latin-1")
        try:
            obj, end = _DECODER.raw_decode(text)
        except ValueError:
            end = -1
        if end != len(text):  # white space around it, or not JSON: as json.loads() sees it
            return json.loads(text)
        return obj
