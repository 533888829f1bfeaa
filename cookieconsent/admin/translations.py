"""Editing the translated fields: one collapsible fieldset per language of the site.

The default language is edited in the model's own fields; each other language gets a field
per translated field (``name__af``), kept in the model's ``translations`` column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.http import HttpRequest

from cookieconsent.translation import translatable_languages as languages

if TYPE_CHECKING:
    from django.contrib.admin.options import BaseModelAdmin

    _Base = BaseModelAdmin[Any]
else:
    _Base = object


def field_key(field: str, language: str) -> str:
    """The form field holding ``field`` in ``language``."""
    return f"{field}__{language.replace('-', '_')}"


class TranslationsForm(forms.ModelForm):  # type: ignore[type-arg]
    """Reads and writes ``instance.translations`` through the ``field__xx`` fields declared
    by ``translations_form()``; a language no longer offered keeps its texts."""

    translated_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = self.instance.translations or {}
        for code, _name in languages():
            for field in self.translated_fields:
                key = field_key(field, code)
                if key in self.fields:
                    self.initial.setdefault(key, stored.get(code, {}).get(field, ""))

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        offered = languages()
        codes = {code for code, _name in offered}
        translations = {
            code: texts
            for code, texts in (self.instance.translations or {}).items()
            if code not in codes
        }
        for code, _name in offered:
            texts = {}
            for field in self.translated_fields:
                value = (cleaned.get(field_key(field, code)) or "").strip()
                if value:
                    texts[field] = value
            if texts:
                translations[code] = texts
        self.instance.translations = translations
        return cleaned


_Form = type[forms.ModelForm]  # type: ignore[type-arg]


def translations_form(base: _Form, model: type[Any], fields: Sequence[str]) -> _Form:
    """A subclass of ``base`` with a field per translated field and language."""
    attrs: dict[str, Any] = {"translated_fields": tuple(fields)}
    for code, _name in languages():
        for field in fields:
            model_field = model._meta.get_field(field)
            form_field = model_field.formfield(required=False, help_text="")
            if isinstance(form_field.widget, forms.Textarea):
                form_field.widget.attrs.update(rows=3)
            attrs[field_key(field, code)] = form_field
    bases = (base,) if issubclass(base, TranslationsForm) else (TranslationsForm, base)
    return type(f"Translated{base.__name__}", bases, attrs)


class TranslationsAdminMixin(_Base):
    """For a ``ModelAdmin`` or an inline: edit ``translated_fields`` in every language."""

    translated_fields: tuple[str, ...] = ()

    def _translations_form(self) -> _Form:
        return translations_form(self.form, self.model, self.translated_fields)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs.setdefault("form", self._translations_form())
        return super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("form", self._translations_form())
        return super().get_formset(request, obj, **kwargs)  # type: ignore[misc]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        keys = {field_key(f, code) for code, _n in languages() for f in self.translated_fields}
        fieldsets: list[Any] = []
        for title, options in super().get_fieldsets(request, obj):
            kept = [f for f in options["fields"] if f not in keys]
            fieldsets.append((title, {**options, "fields": kept}))
        for code, name in languages():
            fieldsets.append(
                (
                    f"{name} ({code})",
                    {
                        "fields": [field_key(f, code) for f in self.translated_fields],
                        "classes": ["collapse"],
                    },
                )
            )
        return fieldsets
