"""The operator's console in the admin: the Statistics page, the export of consent records,
and the inbox of undeclared cookies."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from cookieconsent.admin.drafts import PublishReminderMixin, remind_to_publish
from cookieconsent.admin.readonly import ReadOnlyMixin
from cookieconsent.console import charts, stats
from cookieconsent.models import (
    ConsentRecord,
    Cookie,
    CookieCategory,
    DailyDecisions,
    UndeclaredCookie,
)
from cookieconsent.proof import export

if TYPE_CHECKING:
    _UndeclaredAdmin = admin.ModelAdmin[UndeclaredCookie]
    _StatisticsAdmin = admin.ModelAdmin[DailyDecisions]
    _RecordAdmin = admin.ModelAdmin[ConsentRecord]
else:
    _UndeclaredAdmin = _StatisticsAdmin = _RecordAdmin = admin.ModelAdmin

# -- export ------------------------------------------------------------------------------------

_DRILLDOWN_PARTS = ("year", "month", "day")


class ExportMixin(_RecordAdmin):
    """Adds ``export/?format=csv|jsonl&<the changelist's filters>`` to the records' admin, and
    links to it and to the Statistics page above the list."""

    change_list_template = "admin/cookieconsent/consentrecord/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        own = [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            )
        ]
        return own + super().get_urls()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The list; a date drill-down beyond the calendar is dropped, with a message."""
        if self._impossible_drilldown(request):
            self.message_user(
                request,
                gettext("The date is out of range or does not exist: the list shows every date."),
                messages.ERROR,
            )
            query = request.GET.copy()
            for part in _DRILLDOWN_PARTS:
                query.pop(f"{self.date_hierarchy}__{part}", None)
            return HttpResponseRedirect(
                f"{request.path}?{query.urlencode()}" if query else request.path
            )
        context = {"can_export": self.has_export_permission(request), **(extra_context or {})}
        return super().changelist_view(request, context)

    def has_export_permission(self, request: HttpRequest) -> bool:
        """Whether the user may download the log: the ``export_consentrecord`` permission,
        granted on its own (a superuser has it), besides the permission to view records."""
        codename = get_permission_codename("export", self.opts)
        return self.has_view_permission(request) and request.user.has_perm(
            f"{self.opts.app_label}.{codename}"
        )

    def _impossible_drilldown(self, request: HttpRequest) -> bool:
        """Whether the date drill-down (``?created_at__year=...&__month=&__day=``) names a
        date Django's changelist cannot bound: it would overflow (a 500), not refuse."""
        if not self.date_hierarchy:
            return False
        year, month, day = (
            request.GET.get(f"{self.date_hierarchy}__{part}") for part in _DRILLDOWN_PARTS
        )
        if year is None:
            return False
        try:
            start = dt.datetime(int(year), int(month or 1), int(day or 1))
            # The changelist's end of the range (the next day, month or year), and a day
            # either side for the shift to UTC.
            start - dt.timedelta(days=1)
            start + dt.timedelta(days=367)
        except (ValueError, OverflowError):
            return True
        return False

    def export_view(self, request: HttpRequest) -> HttpResponseBase:
        """The records the changelist's current filters select, streamed as CSV or JSONL."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        if self._impossible_drilldown(request):
            return HttpResponse(
                gettext("The date is out of range or does not exist."),
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        query = request.GET.copy()
        fmt = query.pop("format", ["csv"])[-1]
        if fmt not in export.FORMATS:
            return HttpResponse(
                gettext("Unknown export format: use csv or jsonl."),
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        request.GET = query  # type: ignore[assignment]  # the changelist reads its filters from here, and knows no "format"
        try:
            records = self.get_changelist_instance(request).queryset
        except IncorrectLookupParameters:
            return HttpResponse(
                gettext("These filters are not valid."),
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        response = StreamingHttpResponse(
            export.stream(records, fmt), content_type=export.FORMATS[fmt]
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="consent-records-{stamp}.{fmt}"'
        return response


# -- statistics ----------------------------------------------------------------------------


#: The dates the Statistics page takes: far enough from the ends of the calendar that a day's
#: bounds, its week's Monday and the shift to UTC stay within it.
_EARLIEST = dt.date(1900, 1, 1)
_LATEST = dt.date(9998, 12, 31)


def _within_calendar(value: dt.date) -> None:
    if not _EARLIEST <= value <= _LATEST:
        raise forms.ValidationError(
            _("Choose a date between %(earliest)s and %(latest)s."),
            code="out_of_range",
            params={"earliest": _EARLIEST.isoformat(), "latest": _LATEST.isoformat()},
        )


class PeriodForm(forms.Form):
    PERIODS = (("7", _("Last 7 days")), ("30", _("Last 30 days")), ("90", _("Last 90 days")))
    #: What the page shows when opened without a choice; the menu says so.
    DEFAULT_PERIOD = "30"
    period = forms.ChoiceField(
        label=_("Period"),
        choices=(*PERIODS, ("dates", _("Dates"))),
        required=False,
        initial=DEFAULT_PERIOD,
    )
    since = forms.DateField(
        label=_("From"),
        required=False,
        validators=[_within_calendar],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=_("To"),
        required=False,
        validators=[_within_calendar],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    by = forms.ChoiceField(
        label=_("Per"), choices=(("day", _("day")), ("week", _("week"))), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period") == "dates":
            since, until = data.get("since"), data.get("until")
            if since is None or until is None:
                raise forms.ValidationError(_("Choose both dates."))
            if since > until:
                raise forms.ValidationError(_("The first date comes after the last."))
            if (until - since).days > 3 * 366:
                raise forms.ValidationError(_("Choose at most three years."))
        return data

    def period_obj(self) -> stats.Period:
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        choice = data.get("period") or self.DEFAULT_PERIOD
        if choice == "dates":
            start, end = data["since"], data["until"]
        else:
            end = today
            start = today - dt.timedelta(days=int(choice) - 1)
        by = data.get("by") or ("week" if (end - start).days > 90 else "day")
        return stats.Period(start, end, by_week=by == "week")


@admin.register(DailyDecisions)
class StatisticsAdmin(ReadOnlyMixin, _StatisticsAdmin):
    """The daily counts have no list of their own: their changelist is the Statistics page."""

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        remind_to_publish(request)
        form = PeriodForm(request.GET or None)
        period = form.period_obj()
        categories = CookieCategory.objects.filter(required=False).values_list("slug", "name")
        names = dict(categories)
        data = stats.statistics(period, optional=names)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Consent statistics"),
            "form": form,
            "period": period,
            "stats": data,
            **_charts(data, names),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/cookieconsent/statistics.html", context)


def _charts(data: stats.Statistics, names: dict[str, str]) -> dict[str, Any]:
    colour: dict[str, str] = {str(a): c for a, c in stats.ACTION_COLOURS.items()}
    fallback = "#999999"
    buckets = list(data.series)
    fmt = "%d %b" if not data.period.by_week else gettext("week of %d %b")
    labels = [b.strftime("%d %b") for b in buckets]
    series = [
        (label, colour.get(action, fallback), [data.series[b][action] for b in buckets])
        for action, label in data.actions
    ]
    legend = [(charts.swatch(colour.get(a, fallback)), label) for a, label in data.actions]
    table_rows = [
        (
            b.strftime(fmt),
            [data.series[b][a] for a, _ in data.actions],
            sum(data.series[b].values()),
        )
        for b in buckets
    ]
    per = gettext("week") if data.period.by_week else gettext("day")
    decisions_chart = charts.stacked_columns(
        gettext("Decisions per %(per)s, by action") % {"per": per}, labels, series
    )
    rates = []
    for slug, (granted, refused) in data.categories.items():
        offered = granted + refused
        rates.append(
            (names.get(slug, slug), granted, refused, granted / offered if offered else 0.0)
        )
    rates_chart = charts.bars(
        gettext("Opt-in rate per optional category"),
        [(name, rate, f"{rate:.0%}") for name, _, _, rate in rates],
    )

    def split(groups: dict[Any, Any], label: str) -> tuple[Any, list[Any]]:
        rows = [
            (
                label % {"value": key},
                [(lbl, colour.get(a, fallback), counter[a]) for a, lbl in data.actions],
            )
            for key, counter in groups.items()
        ]
        table = [
            (label % {"value": key}, [counter[a] for a, _ in data.actions], sum(counter.values()))
            for key, counter in groups.items()
        ]
        return charts.shares(gettext("Decisions by action"), rows), table

    version_chart, version_rows = split(data.versions, gettext("Version %(value)s"))
    region_chart, region_rows = split(data.regions, "%(value)s")
    return {
        "legend": legend,
        "decisions_chart": decisions_chart,
        "decision_rows": table_rows,
        "rates_chart": rates_chart,
        "rates": rates,
        "version_chart": version_chart,
        "version_rows": version_rows,
        "region_chart": region_chart,
        "region_rows": region_rows,
    }


# -- undeclared cookies --------------------------------------------------------------------


class DeclareForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=CookieCategory.objects.all(), empty_label=None
    )


@admin.register(UndeclaredCookie)
class UndeclaredCookieAdmin(PublishReminderMixin, _UndeclaredAdmin):
    """The inbox of cookies nobody declared: declare them in a category, or dismiss them."""

    list_display = (
        "name",
        "technology",
        "source",
        "sightings",
        "last_seen",
        "example_path",
        "dismissed",
    )
    list_filter = ("dismissed", "source", "technology")
    search_fields = ("name", "example_path")
    readonly_fields = (*list_display, "first_seen")
    actions = ("declare", "dismiss")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Declare in a category…"), permissions=["view"])
    def declare(
        self, request: HttpRequest, queryset: QuerySet[UndeclaredCookie]
    ) -> HttpResponse | None:
        if not request.user.has_perm("cookieconsent.add_cookie"):
            raise PermissionDenied
        form = DeclareForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._declare_all(request, queryset, form.cleaned_data["category"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Declare undeclared cookies"),
            "form": form,
            "queryset": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "category_url": reverse("admin:cookieconsent_cookiecategory_changelist"),
        }
        return TemplateResponse(
            request, "admin/cookieconsent/undeclaredcookie/declare.html", context
        )

    def _declare_all(
        self,
        request: HttpRequest,
        queryset: QuerySet[UndeclaredCookie],
        category: CookieCategory,
    ) -> None:
        """Declare each name in ``category`` as the cookie form would, and take it off the
        list; a name the form would refuse stays on the list, and staff are told why."""
        declared: list[str] = []
        known: list[tuple[str, CookieCategory]] = []
        refused: list[tuple[str, list[str]]] = []
        with transaction.atomic():
            for found in queryset.order_by("name"):
                existing = (
                    Cookie.objects.filter(name=found.name, technology=found.technology)
                    .select_related("category")
                    .first()
                )
                if existing is not None:
                    # Declared since it was seen: the entry is stale, and the declaration
                    # stays where staff put it.
                    found.delete()
                    known.append((found.name, existing.category))
                    continue
                cookie = Cookie(name=found.name, technology=found.technology, category=category)
                try:
                    # The field validators, Cookie.clean() and the unique constraint, as on
                    # the category's page: "*" declared strictly necessary would let every
                    # cookie through without consent.
                    cookie.full_clean()
                except ValidationError as error:
                    refused.append((found.name, error.messages))
                    continue
                cookie.save()
                found.delete()
                declared.append(found.name)
        for name, reasons in refused:
            self.message_user(
                request,
                gettext("Did not declare “%(name)s”: %(reasons)s")
                % {"name": name, "reasons": " ".join(reasons)},
                messages.ERROR,
            )
        for name, where in known:
            self.message_user(
                request,
                gettext("“%(name)s” is already declared in %(category)s.")
                % {"name": name, "category": where},
                messages.INFO,
            )
        if declared:
            self.message_user(
                request,
                ngettext(
                    "Declared %(names)s in %(category)s. Describe it on the category's page.",
                    "Declared %(names)s in %(category)s. Describe them on the category's page.",
                    len(declared),
                )
                % {"names": ", ".join(declared), "category": category},
                messages.SUCCESS,
            )

    @admin.action(description=_("Dismiss"), permissions=["change"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[UndeclaredCookie]) -> None:
        n = queryset.update(dismissed=True)
        self.message_user(
            request,
            ngettext("Dismissed %(n)d cookie.", "Dismissed %(n)d cookies.", n) % {"n": n},
            messages.SUCCESS,
        )
