"""Where the visitor is, and which consent regime applies there.

The region comes from the server, with no call to anyone: a resolver the site names
(``REGION_RESOLVER``), then the headers its CDN or proxy sets (``REGION_HEADER``, optionally
``REGION_SUBDIVISION_HEADER``). Nothing is read unless configured, the headers only while the
site says its proxy sets them (``TRUST_REGION_HEADER``: a visitor can send any header), and a
value that is not a well-formed ISO 3166 code counts as unknown.

The regimes staff edit (``RegionRule``) are compiled with the registry, from the latest
published version, so that the request path reads no table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from django.core.exceptions import SynchronousOnlyOperation
from django.http import HttpRequest
from django.utils.module_loading import import_string

from cookieconsent.conf import get_config, on_reset
from cookieconsent.regimes import SUBDIVISION_CODE, ascii_upper, normalise

logger = logging.getLogger("cookieconsent")


# -- the visitor's region ---------------------------------------------------------------------


def region_of(request: HttpRequest) -> str | None:
    """The visitor's region: the resolver's answer, else the configured headers', else
    ``None`` (unknown)."""
    resolver, country_key, sub_key = _reader()
    if resolver:
        try:
            found = _resolver(resolver)(request)
        except SynchronousOnlyOperation:
            logger.warning(
                "cookieconsent's REGION_RESOLVER queried the database during an async request, "
                "which Django refuses on the event loop: the region is unknown (opt-in). Read "
                "it from the request instead (a header, a GeoIP file).",
                exc_info=True,
            )
            found = None
        except Exception:  # a GeoIP miss or a broken database must not cost the page
            logger.warning("cookieconsent's REGION_RESOLVER failed", exc_info=True)
            found = None
        region = normalise(found)
        if region is not None:
            return region
    return _from_headers(request.META, country_key, sub_key) if country_key else None


def _from_headers(meta: Mapping[str, Any], country_key: str, sub_key: str) -> str | None:
    """The region in the country header (and the subdivision header, which may hold ``CA``
    or ``US-CA``)."""
    country = normalise(meta.get(country_key))
    if country is None or len(country) > 2:
        return None
    if sub_key:
        value = meta.get(sub_key)
        if isinstance(value, str):
            part = ascii_upper(value).removeprefix(country + "-")
            if SUBDIVISION_CODE.fullmatch(part):
                return f"{country}-{part}"
    return country


@cache
def _reader() -> tuple[str, str, str]:
    """The resolver's path and the ``request.META`` keys of the region headers ("" where
    unset or untrusted), worked out once: every undecided visitor's request asks."""
    config = get_config()
    country, sub = _trusted_headers()
    return (
        config["REGION_RESOLVER"] or "",
        _meta_key(country) if country else "",
        _meta_key(sub) if sub else "",
    )


on_reset(_reader.cache_clear)


@cache
def vary_headers() -> tuple[str, ...]:
    """The request headers a response that depends on the region varies on: those read."""
    return tuple(h for h in _trusted_headers() if h)


on_reset(vary_headers.cache_clear)


def _trusted_headers() -> tuple[str | None, str | None]:
    """``REGION_HEADER`` and ``REGION_SUBDIVISION_HEADER``, or neither unless
    ``TRUST_REGION_HEADER`` is ``True``: only the site knows that a proxy overwrites them."""
    config = get_config()
    if config["TRUST_REGION_HEADER"] is not True:
        return None, None
    return config["REGION_HEADER"], config["REGION_SUBDIVISION_HEADER"]


@cache
def _meta_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


@cache
def _resolver(path: str) -> Callable[[HttpRequest], str | None]:
    resolver: Callable[[HttpRequest], str | None] = import_string(path)
    return resolver


@on_reset
def _forget() -> None:
    _resolver.cache_clear()


def reads_subdivisions() -> bool:
    """Whether a visitor's region can ever be a subdivision (``US-CA``): the site reads the
    subdivision header, or asks a resolver, which may answer one."""
    config = get_config()
    return bool(config["REGION_SUBDIVISION_HEADER"] or config["REGION_RESOLVER"])
