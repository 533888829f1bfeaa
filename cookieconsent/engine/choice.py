"""The visitor's choice: one reading of the banner's form post and the script's JSON.

A plain function rather than a Django ``Form``: a form deep-copies its fields on every
request, which was a fifth of the consent endpoint's own time, for three fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from cookieconsent.engine.registry import Registry
from cookieconsent.models import Action

#: More categories than any site declares; a longer list is refused before it is looked at.
MAX_CATEGORIES = 50
#: The longest ``next`` address accepted.
MAX_NEXT = 2000

VISITOR_ACTIONS = frozenset(
    a.value
    for a in (
        Action.ACCEPT_ALL,
        Action.REJECT_ALL,
        Action.CUSTOM,
        Action.PREFERENCES,
        Action.DISMISS,
    )
)


class InvalidChoice(ValueError):
    """The submitted choice cannot be recorded; the message says why, for the visitor."""


@dataclass(frozen=True, slots=True)
class Choice:
    action: str
    #: The optional categories this choice grants.
    granted: frozenset[str]
    next: str


def read_next(data: QueryDict | Mapping[str, Any]) -> str:
    """The return address a form post or a JSON object carries, as text (``""`` for none),
    whether or not the rest of the choice is valid."""
    next_url = data.get("next")
    # A JSON value that is not text is no address (it was recorded as Python's repr).
    return next_url if isinstance(next_url, str) else ""


def read_choice(
    data: QueryDict | Mapping[str, Any],
    registry: Registry,
    regime_default: frozenset[str] | None = None,
) -> Choice:
    """The choice in a form post or a JSON object, checked against the categories the
    registry offers (``Registry.offered_slugs``). ``regime_default`` is what dismissing the
    notice keeps: ``None`` where there is no notice (opt-in), and then a dismissal is
    refused."""
    action = data.get("action")
    if action in (None, ""):
        raise InvalidChoice(_("Say which choice you made: accept_all, reject_all or custom."))
    if not isinstance(action, str) or action not in VISITOR_ACTIONS:
        raise InvalidChoice(
            _(
                "Unknown action “%(value)s”: use accept_all, reject_all, custom, preferences or "
                "dismiss."
            )
            % {"value": action}
        )
    if action == Action.DISMISS and regime_default is None:
        # Said to a visitor who pressed OK on a notice where the site asks for consent (their
        # region changed since the page was served): in the banner's words, not the API's.
        raise InvalidChoice(
            _(
                "There is no notice to dismiss here: please accept or reject the optional "
                "cookies, or choose them in the cookie settings."
            )
        )
    slugs = data.getlist("categories") if isinstance(data, QueryDict) else data.get("categories")
    slugs = list(slugs or ())
    if len(slugs) > MAX_CATEGORIES:
        raise InvalidChoice(_("Too many categories."))
    # Only what the visitor was offered: an optional category added in the draft is unknown
    # until it is published. (Required ones are accepted and change nothing.)
    known = registry.required_slugs | registry.offered_slugs
    for slug in slugs:
        if slug not in known:
            raise InvalidChoice(_("Unknown cookie category: “%(value)s”.") % {"value": slug})
    next_url = read_next(data)
    if len(next_url) > MAX_NEXT:
        raise InvalidChoice(_("The return address is too long."))
    optional = registry.offered_slugs
    if action == Action.ACCEPT_ALL:
        granted = optional
    elif action == Action.REJECT_ALL:
        granted = frozenset()
    elif action == Action.DISMISS:
        granted = regime_default or frozenset()
    else:
        granted = frozenset(slugs) & optional
    return Choice(str(action), granted, next_url)
