"""Signals the app sends."""

from django.dispatch import Signal

__all__ = ["consent_changed"]

#: Sent after a visitor's decision is recorded and before the response leaves.
#: Arguments: ``request``, ``record`` (the ``ConsentRecord``), ``granted`` and ``refused``
#: (frozensets of category slugs), ``previous`` (the slugs allowed before, required included).
consent_changed = Signal()
