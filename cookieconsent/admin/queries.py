"""Query strings the database cannot take, refused before they reach it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

if TYPE_CHECKING:
    _AnyAdmin = admin.ModelAdmin[Any]
else:
    _AnyAdmin = object


class RefuseNulMixin(_AnyAdmin):
    """Answers 400 to a list whose query string holds a NUL character. Django's admin turns
    parameters it does not know into lookups on the model's fields (``?name=…``), and
    PostgreSQL cannot compare text with a NUL in it: the page would fail with a server error."""

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if any("\x00" in key or "\x00" in "".join(values) for key, values in request.GET.lists()):
            raise BadRequest(gettext("The address holds a NUL character, which no list can use."))
        return super().changelist_view(request, extra_context)
