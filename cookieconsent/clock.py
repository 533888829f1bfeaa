"""The site's local time and date, with or without ``USE_TZ``.

Django's ``timezone.localtime()`` and ``timezone.localdate()`` refuse the naive ``now()`` of a
site with ``USE_TZ = False``; there ``now()`` is local time already (``TIME_ZONE``'s).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone


def localtime() -> dt.datetime:
    """Now, in the site's time zone: aware with ``USE_TZ``, naive without."""
    return timezone.localtime() if settings.USE_TZ else timezone.now()


def localdate() -> dt.date:
    """Today, in the site's time zone."""
    return localtime().date()
