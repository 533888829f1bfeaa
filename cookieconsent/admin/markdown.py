"""Warn staff when the sanitiser changes the Markdown they saved: a ``<script>`` that vanishes
or a ``javascript:`` link that goes dead should not pass with only a success message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.db import models
from django.forms import BaseFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext

from cookieconsent.markup import sanitiser_changes
from cookieconsent.models import CookiePolicy, PolicySection

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    _Base = ModelAdmin[Any]
else:
    _Base = object

#: The Markdown fields of each model, in every language.
MARKDOWN_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    CookiePolicy: ("introduction",),
    PolicySection: ("body",),
}


def markdown_warnings(obj: models.Model) -> list[str]:
    """One line per Markdown field of ``obj`` (in any language) that the sanitiser changes."""
    lines = []
    translations: dict[str, dict[str, str]] = getattr(obj, "translations", None) or {}
    for field in MARKDOWN_FIELDS.get(type(obj), ()):
        label = str(getattr(obj._meta.get_field(field), "verbose_name", field))
        texts = [("", getattr(obj, field))]
        texts += [(code, t.get(field, "")) for code, t in sorted(translations.items())]
        for code, text in texts:
            changes = sanitiser_changes(text)
            if changes:
                where = f"{label} ({code})" if code else label
                lines.append(
                    gettext("“%(object)s”, %(field)s: %(changes)s.")
                    % {"object": obj, "field": where, "changes": "; ".join(changes)}
                )
    return lines


class MarkdownWarningsMixin(_Base):
    """After a save, a WARNING message naming what the sanitiser removed, if anything."""

    def save_related(
        self,
        request: HttpRequest,
        form: ModelForm[Any],
        formsets: list[BaseFormSet[Any]],
        change: bool,
    ) -> None:
        super().save_related(request, form, formsets, change)
        lines = markdown_warnings(form.instance)
        for formset in formsets:
            for inline_form in formset.forms:
                instance = getattr(inline_form, "instance", None)
                if instance is not None and instance.pk is not None:
                    lines += markdown_warnings(instance)
        if lines:
            self.message_user(
                request,
                gettext(
                    "Some of the text was changed to make it safe to show, and the page shows "
                    "it without these: %(lines)s Check the text."
                )
                % {"lines": " ".join(lines)},
                messages.WARNING,
            )
