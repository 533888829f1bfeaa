"""Categories and the cookies declared in each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db import models
from django.forms import BaseInlineFormSet, ModelChoiceField, ModelForm, Textarea
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cookieconsent.admin.drafts import PublishReminderMixin
from cookieconsent.admin.queries import RefuseNulMixin
from cookieconsent.admin.translations import TranslationsAdminMixin
from cookieconsent.lifetimes import format_lifetime
from cookieconsent.models import Cookie, CookieCategory

# The admin classes are generic only to the type checker (django-stubs); at run time they
# cannot be subscripted.
if TYPE_CHECKING:
    _CategoryAdmin = admin.ModelAdmin[CookieCategory]
    _CookieInline = admin.StackedInline[Cookie, CookieCategory]
    _CookieAdmin = admin.ModelAdmin[Cookie]
    _CookieFormSet = BaseInlineFormSet[Cookie, CookieCategory, ModelForm[Cookie]]
    _CategoryForm = ModelForm[CookieCategory]
else:
    _CategoryAdmin = _CookieAdmin = admin.ModelAdmin
    _CookieInline = admin.StackedInline
    _CookieFormSet = BaseInlineFormSet
    _CategoryForm = ModelForm

# -- categories and cookies -----------------------------------------------------------------


class _CategorySelect(AutocompleteSelect):
    """Django's autocomplete select, which shows a submitted value that cannot be a
    category's key (``category=abc``, or beyond the database's integers) as no choice:
    Django's own looks it up and fails with a server error while showing the form's
    errors."""

    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        key = self.field.remote_field.model._meta.pk

        def is_key(candidate: Any) -> bool:
            try:
                key.run_validators(key.to_python(candidate))
            except ValidationError:
                return False
            return True

        return super().optgroups(name, [v for v in value if is_key(v)], attr)


class _KeepsStorageKeySpaces:
    """The cookie forms take a name as typed: a storage key may have spaces around it, which
    Django's form field would strip, so that a key declared from the inbox stopped matching
    once edited here. ``Cookie.clean()`` strips an HTTP cookie's name (browsers do)."""

    def formfield_for_dbfield(
        self, db_field: models.Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "name":
            kwargs["strip"] = False
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]


class CookieInlineFormSet(_CookieFormSet):
    def get_unique_error_message(self, unique_check: Any) -> str:
        """Two rows of one form with the same name get the model's own message, the one a
        clash with a saved cookie (in any category) gets, rather than Django's generic
        “Please correct the duplicate data”."""
        for constraint in Cookie._meta.constraints:
            if tuple(getattr(constraint, "fields", ())) == tuple(unique_check):
                return str(constraint.violation_error_message)
        return super().get_unique_error_message(unique_check)


class CookieInline(_KeepsStorageKeySpaces, TranslationsAdminMixin, _CookieInline):
    """One compact block per cookie: a table row of ten columns was 2,891 px wide."""

    model = Cookie
    formset = CookieInlineFormSet
    translated_fields = ("purpose",)
    fields = (
        ("name", "technology", "party"),
        "purpose",
        ("provider", "lifetime"),
        ("http_only", "domain", "path", "order"),
    )
    formfield_overrides = {  # noqa: RUF012 (Django reads it, never mutates)
        models.TextField: {"widget": Textarea(attrs={"rows": 2, "cols": 60})},
    }
    extra = 0


class _ChecksSavedCookies(_CategoryForm):
    """The category form for staff whose page shows no editable cookies (no permission to
    change them: no inline, or a read-only one, which Django does not validate): changing
    the strictly-necessary flag checks the saved cookies here instead."""

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        category = self.instance
        if category.pk is not None and "required" in self.changed_data:
            try:
                category.check_saved_cookies(required=bool(self.cleaned_data.get("required")))
            except ValidationError as error:
                self.add_error("required", error)
        return cleaned


@admin.register(CookieCategory)
class CookieCategoryAdmin(
    RefuseNulMixin, PublishReminderMixin, TranslationsAdminMixin, _CategoryAdmin
):
    translated_fields = ("name", "purpose")
    list_display = ("name", "slug", "required", "opt_in_everywhere", "order")
    list_editable = ("order",)
    list_filter = ("required", "opt_in_everywhere")
    search_fields = ("name", "slug", "purpose", "cookies__name")
    prepopulated_fields = {"slug": ("name",)}  # noqa: RUF012 (Django reads it, never mutates)
    inlines = (CookieInline,)

    def get_form(
        self,
        request: HttpRequest,
        obj: CookieCategory | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        # An editable inline checks every saved cookie against the flag about to be saved,
        # as the rows will be (renamed, deleted); without one, the form checks them.
        if obj is not None and not CookieInline(self.model, self.admin_site).has_change_permission(
            request, obj
        ):
            form = type(form.__name__, (_ChecksSavedCookies, form), {})
        return form


@admin.register(Cookie)
class CookieAdmin(
    _KeepsStorageKeySpaces,
    RefuseNulMixin,
    PublishReminderMixin,
    TranslationsAdminMixin,
    _CookieAdmin,
):
    translated_fields = ("purpose",)
    list_display = ("name", "category", "technology", "party", "provider", "lifetime_display")
    list_filter = ("category", "technology", "party")
    search_fields = ("name", "purpose", "provider", "domain")
    list_select_related = ("category",)
    autocomplete_fields = ("category",)

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        if db_field.name == "category":
            using = kwargs.get("using")
            kwargs["widget"] = _CategorySelect(db_field, self.admin_site, using=using)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("lifetime"), ordering="lifetime")
    def lifetime_display(self, obj: Cookie) -> str:
        # Exact, as the form shows it (“90 minutes”); the public table rounds (“1 hour”).
        return format_lifetime(obj.lifetime)
