"""The consent form: one shape for the banner's form post and the script's JSON."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cookieconsent.models import Action
from cookieconsent.registry import Registry

#: More categories than any site declares; a longer list is refused before it is looked at.
MAX_CATEGORIES = 50

VISITOR_ACTIONS = [
    (a.value, a.label)
    for a in (
        Action.ACCEPT_ALL,
        Action.REJECT_ALL,
        Action.CUSTOM,
        Action.PREFERENCES,
        Action.DISMISS,
    )
]


class ConsentForm(forms.Form):
    action = forms.ChoiceField(
        choices=VISITOR_ACTIONS,
        error_messages={
            "required": _("Say which choice you made: accept_all, reject_all or custom."),
            "invalid_choice": _(
                "Unknown action “%(value)s”: use accept_all, reject_all, custom or preferences."
            ),
        },
    )
    categories = forms.MultipleChoiceField(
        required=False,
        error_messages={"invalid_choice": _("Unknown cookie category: “%(value)s”.")},
    )
    next = forms.CharField(required=False, max_length=2000)

    def __init__(
        self,
        *args: Any,
        registry: Registry,
        regime_default: frozenset[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.registry = registry
        #: What dismissing a notice keeps; ``None`` where there is no notice (opt-in).
        self.regime_default = regime_default
        field = self.fields["categories"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(c.slug, c.name) for c in registry.categories]

    def clean_categories(self) -> list[str]:
        slugs: list[str] = self.cleaned_data["categories"]
        if len(slugs) > MAX_CATEGORIES:
            raise forms.ValidationError(_("Too many categories."), code="too_many")
        return slugs

    def clean_action(self) -> str:
        action: str = self.cleaned_data["action"]
        if action == Action.DISMISS and self.regime_default is None:
            raise forms.ValidationError(
                _("There is no notice to dismiss here: choose accept_all, reject_all or custom."),
                code="no_notice",
            )
        return action

    def granted(self) -> frozenset[str]:
        """The optional categories this choice grants."""
        action = self.cleaned_data["action"]
        optional = self.registry.optional_slugs
        if action == Action.ACCEPT_ALL:
            return optional
        if action == Action.REJECT_ALL:
            return frozenset()
        if action == Action.DISMISS:
            return self.regime_default or frozenset()
        return frozenset(self.cleaned_data["categories"]) & optional
