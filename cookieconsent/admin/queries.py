"""Query strings the database cannot take, refused before they reach it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.core.exceptions import BadRequest
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

if TYPE_CHECKING:
    _AnyAdmin = admin.ModelAdmin[Any]
else:
    _AnyAdmin = object


class RefuseNulMixin(_AnyAdmin):
    """Answers 400 to a list, an export or an autocomplete whose query string holds a NUL
    character. Django's admin turns parameters it does not know into lookups on the model's
    fields (``?name=…``) and searches with ``?q=``/``?term=``, and PostgreSQL cannot compare
    text with a NUL in it: the page would fail with a server error."""

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        refuse_nul(request)
        return super().changelist_view(request, extra_context)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        # Also the search of the autocomplete widgets of other models' forms.
        refuse_nul(request)
        return super().get_search_results(request, queryset, search_term)


def refuse_nul(request: HttpRequest) -> None:
    """Raise ``BadRequest`` when the query string holds a NUL character."""
    if any("\x00" in key or "\x00" in "".join(values) for key, values in request.GET.lists()):
        raise BadRequest(gettext("The address holds a NUL character, which no list can use."))
