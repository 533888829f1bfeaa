"""Categories and the cookies declared in each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.forms import BaseInlineFormSet, ModelForm
from django.utils.translation import gettext_lazy as _

from cookieconsent.models import Cookie, CookieCategory

# The admin classes are generic only to the type checker (django-stubs); at run time they
# cannot be subscripted.
if TYPE_CHECKING:
    _CategoryAdmin = admin.ModelAdmin[CookieCategory]
    _CookieInline = admin.TabularInline[Cookie, CookieCategory]
    _CookieAdmin = admin.ModelAdmin[Cookie]
    _CookieFormSet = BaseInlineFormSet[Cookie, CookieCategory, ModelForm[Cookie]]
else:
    _CategoryAdmin = _CookieAdmin = admin.ModelAdmin
    _CookieInline = admin.TabularInline
    _CookieFormSet = BaseInlineFormSet

# -- categories and cookies -----------------------------------------------------------------


class CookieInlineFormSet(_CookieFormSet):
    def get_unique_error_message(self, unique_check: Any) -> str:
        """Two rows of one form with the same name get the model's own message, the one a
        clash with a saved cookie (in any category) gets, rather than Django's generic
        “Please correct the duplicate data”."""
        for constraint in Cookie._meta.constraints:
            if tuple(getattr(constraint, "fields", ())) == tuple(unique_check):
                return str(constraint.violation_error_message)
        return super().get_unique_error_message(unique_check)


class CookieInline(_CookieInline):
    model = Cookie
    formset = CookieInlineFormSet
    fields = (
        "name",
        "technology",
        "purpose",
        "party",
        "provider",
        "lifetime",
        "http_only",
        "domain",
        "path",
        "order",
    )
    extra = 0


@admin.register(CookieCategory)
class CookieCategoryAdmin(_CategoryAdmin):
    list_display = ("name", "slug", "required", "opt_in_everywhere", "order")
    list_editable = ("order",)
    list_filter = ("required", "opt_in_everywhere")
    search_fields = ("name", "slug", "purpose", "cookies__name")
    prepopulated_fields = {"slug": ("name",)}  # noqa: RUF012 (Django reads it, never mutates)
    inlines = (CookieInline,)


@admin.register(Cookie)
class CookieAdmin(_CookieAdmin):
    list_display = ("name", "category", "technology", "party", "provider", "lifetime_display")
    list_filter = ("category", "technology", "party")
    search_fields = ("name", "purpose", "provider", "domain")
    list_select_related = ("category",)
    autocomplete_fields = ("category",)

    @admin.display(description=_("lifetime"), ordering="lifetime")
    def lifetime_display(self, obj: Cookie) -> str:
        return obj.lifetime_display
