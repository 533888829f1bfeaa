"""Text staff write in more than one language: the policy, its sections, the categories, the
cookies' purposes and the banner.

The default language (``settings.LANGUAGE_CODE``) lives in each model's own columns, so
every query, ordering and admin search keeps working on it. Every other language of
``settings.LANGUAGES`` lives in one ``translations`` JSON column per model,
``{"af": {"name": "Analise"}}``, so the app's migrations do not depend on a site's languages.
``obj.i18n.name`` reads a field in the active language: the exact language (``pt-br``), then
its base language (``pt``), then the default column. docs/translations.md says why this and
not a library.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import global_settings, settings
from django.db import models
from django.utils.translation import get_language, get_supported_language_variant
from django.utils.translation import gettext_lazy as _

#: One language's texts: field name → text.
Texts = Mapping[str, str]


def translations_field() -> models.JSONField[Any, Any]:
    """The column that holds a model's texts in the languages other than the default."""
    return models.JSONField(
        _("translations"),
        default=dict,
        blank=True,
        editable=False,
        help_text=_("Texts in the site's other languages: {language: {field: text}}."),
    )


def default_language() -> str:
    """The site's default language (``LANGUAGE_CODE``, as Django supports it)."""
    try:
        return get_supported_language_variant(settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def languages() -> list[str]:
    """The site's languages, the default first: those a version is published in. Only the
    default when the site has not chosen its languages (Django's built-in list has about a
    hundred)."""
    default = default_language()
    if not settings.USE_I18N or list(settings.LANGUAGES) == list(global_settings.LANGUAGES):
        return [default]
    return [default, *(code for code, _name in settings.LANGUAGES if code != default)]


def translatable_languages() -> list[tuple[str, str]]:
    """``(code, name)`` of every language staff translate into: ``languages()`` less the
    default."""
    others = set(languages()[1:])
    return [(code, str(name)) for code, name in settings.LANGUAGES if code in others]


def candidates(language: str) -> tuple[str, ...]:
    """Where to look for text in ``language``, before the default: ``pt-br``, then ``pt``."""
    language = language.lower()
    return (language, language.split("-")[0])


def lookup(translations: Mapping[str, Texts], field: str, default: str, language: str = "") -> str:
    """``field`` in ``language`` (the active one if empty), falling back from ``pt-br`` to
    ``pt`` to ``default``; an empty translation counts as none."""
    language = language or get_language() or settings.LANGUAGE_CODE
    if not translations:
        return default
    for code in candidates(language):
        if code == settings.LANGUAGE_CODE.lower():
            return default
        texts = translations.get(code)
        if texts:
            text = texts.get(field)
            if text:
                return text
    return default


class TranslatedView:
    """What ``obj.i18n`` returns: the translated fields of ``obj`` as attributes, in the
    active language (templates write ``{{ category.i18n.name }}``)."""

    __slots__ = ("_fields", "_obj")

    def __init__(self, obj: Any, fields: tuple[str, ...]) -> None:
        self._obj = obj
        self._fields = fields

    def __getattr__(self, name: str) -> str:
        if name not in self._fields:
            raise AttributeError(name)
        return lookup(self._obj.translations or {}, name, getattr(self._obj, name))

    def get(self, name: str, language: str) -> str:
        """``name`` in ``language`` rather than the active one."""
        return lookup(self._obj.translations or {}, name, getattr(self._obj, name), language)


class Translated:
    """A class attribute naming the fields that have translations: ``i18n =
    Translated("name", "purpose")``; ``obj.i18n.name`` is then the name in the active
    language."""

    def __init__(self, *fields: str) -> None:
        self.fields = fields

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return TranslatedView(obj, self.fields)
