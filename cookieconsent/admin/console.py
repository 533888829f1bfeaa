"""The operator's console in the admin: the Statistics page, the export of consent records,
and the inbox of undeclared cookies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
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
from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from cookieconsent import clock
from cookieconsent.admin import display
from cookieconsent.admin.drafts import PublishReminderMixin, remind_to_publish
from cookieconsent.admin.queries import RefuseNulMixin, refuse_nul
from cookieconsent.admin.readonly import ReadOnlyMixin
from cookieconsent.console import charts, shown, stats, suggestions
from cookieconsent.lifetimes import HELP_TEXT as LIFETIME_HELP_TEXT
from cookieconsent.lifetimes import LifetimeFormField, format_lifetime
from cookieconsent.models import (
    Action,
    ConsentRecord,
    Cookie,
    CookieCategory,
    DailyDecisions,
    Technology,
    UndeclaredCookie,
)
from cookieconsent.models.cookies import pattern_regex
from cookieconsent.proof import export
from cookieconsent.regimes import region_label

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
        refuse_nul(request)  # as the list does: the same filters
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
        stamp = clock.localtime().strftime("%Y%m%d-%H%M")
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
        today = clock.localdate()
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
        remind_to_publish(request, self.admin_site.name)
        form = PeriodForm(request.GET or None)
        period = form.period_obj()
        # This process's banners not written yet: the figures are then as fresh as it knows.
        shown.flush()
        data = stats.statistics(period)
        rate = data.consent_rate()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Consent statistics"),
            "form": form,
            "period": period,
            "stats": data,
            "consent_rate": _percent(rate),
            "answered": data.answered(data.totals),
            "action_help": [
                (str(label), ACTION_HELP[action])
                for action, label in data.actions
                if action in ACTION_HELP
            ],
            **_charts(data),
            **(extra_context or {}),
        }
        # As Django's own admin views: {% url 'admin:...' %} then names this site.
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/cookieconsent/statistics.html", context)


#: What each action means, in the words of the page's explanation.
ACTION_HELP = {
    Action.ACCEPT_ALL.value: _("Accept all on the banner (or in the preferences)."),
    Action.REJECT_ALL.value: _("Reject all on the banner (or in the preferences)."),
    Action.CUSTOM.value: _(
        "One category allowed from a placeholder, such as “Allow Analytics” on a blocked "
        "video, without opening the preferences."
    ),
    Action.PREFERENCES.value: _(
        "Categories chosen one by one and saved on the preferences page (or its dialog)."
    ),
    Action.GPC.value: _("No click: the browser's Global Privacy Control refused for them."),
    Action.DISMISS.value: _("OK on an opt-out or notice banner: not consent."),
}


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def _day(value: dt.date) -> str:
    """``01 Oct``: a day of the charts and tables, its month named in the active language."""
    # Translators: a day on the Statistics page, in Django's date format ("d M": 01 Oct); see
    # https://docs.djangoproject.com/en/stable/ref/templates/builtins/#date
    return formats.date_format(value, pgettext("statistics", "d M"))


def _charts(data: stats.Statistics) -> dict[str, Any]:
    colour: dict[str, str] = {str(a): c for a, c in stats.ACTION_COLOURS.items()}
    fallback = "#999999"
    buckets = list(data.series)
    labels = [_day(b) for b in buckets]
    series = [
        (label, colour.get(action, fallback), [data.series[b][action] for b in buckets])
        for action, label in data.actions
    ]
    legend = [(charts.swatch(colour.get(a, fallback)), label) for a, label in data.actions]
    table_rows = [
        (
            gettext("week of %(day)s") % {"day": _day(b)} if data.period.by_week else _day(b),
            [data.series[b][a] for a, _ in data.actions],
            sum(data.series[b].values()),
            data.shown.get(b, 0),
            _percent(data.consent_rate(b)),
        )
        for b in buckets
    ]
    per = gettext("week") if data.period.by_week else gettext("day")
    decisions_chart = charts.stacked_columns(
        gettext("Decisions per %(per)s, by action") % {"per": per}, labels, series
    )
    # Every category offered now has its row (“-” where no decision of the period was offered
    # it), unless no decision of the period was offered any: then the page says so.
    rates = [
        (
            row.name
            if row.offered
            else gettext("%(category)s (no longer offered)") % {"category": row.name},
            row.granted,
            row.refused,
            row.rate,
        )
        for row in (stats.category_rates(data) if data.categories else [])
    ]
    rates_chart = charts.bars(
        gettext("Opt-in rate per optional category"),
        [(name, rate or 0.0, _percent(rate)) for name, _, _, rate in rates],
    )

    def split(groups: dict[Any, Any], name: Callable[[Any], str]) -> tuple[Any, list[Any]]:
        rows = [
            (
                name(key),
                [(lbl, colour.get(a, fallback), counter[a]) for a, lbl in data.actions],
            )
            for key, counter in groups.items()
        ]
        table = [
            (name(key), [counter[a] for a, _ in data.actions], sum(counter.values()))
            for key, counter in groups.items()
        ]
        return charts.shares(gettext("Decisions by action"), rows), table

    version_chart, version_rows = split(
        data.versions, lambda number: gettext("Version %(value)s") % {"value": number}
    )
    # Named as well as coded: "US-CA — California, United States".
    region_chart, region_rows = split(data.regions, region_label)
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
    """One name or pattern to declare, prefilled from what was seen and the cookie database;
    ``found`` holds the inbox entries it covers."""

    found = forms.CharField(widget=forms.HiddenInput, label="")
    # Kept as typed: a storage key may begin or end with a space (“ theme ” is not “theme”).
    name = forms.CharField(label=_("Name or pattern"), max_length=200, strip=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=CookieCategory.objects.all(), empty_label="---------"
    )
    # Its help text is said once, below the table.
    lifetime = LifetimeFormField(label=_("Lifetime"), required=False, help_text="")
    provider = forms.CharField(label=_("Provider"), max_length=200, required=False)
    purpose = forms.CharField(
        label=_("Purpose"), required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 36})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # in a table: the column's heading, for each box
            if field.label:
                field.widget.attrs.setdefault("aria-label", str(field.label))

    def clean_found(self) -> list[int]:
        try:
            return [int(pk) for pk in self.cleaned_data["found"].split()]
        except ValueError:
            raise ValidationError(_("The form was changed: start again."), code="found") from None

    def clean_lifetime(self) -> timedelta | None:
        # Empty would read as "session": the lifetime a one-year cookie must never get by
        # default. Staff type "session" for a session cookie.
        if not str(self.data.get(self.add_prefix("lifetime"), "")).strip():
            raise ValidationError(
                _("Enter how long the browser keeps it, or “session”."), code="required"
            )
        value: timedelta | None = self.cleaned_data["lifetime"]
        return value


DeclareFormSet = forms.formset_factory(DeclareForm, extra=0)


def _proposals(categories: list[CookieCategory]) -> dict[tuple[str, str], suggestions.Proposal]:
    """The proposal for each name in the inbox, by (technology, name): made over the whole
    list, so that names differing by an id are grouped whatever the page shows."""
    rows = UndeclaredCookie.objects.values_list("name", "technology", "max_age")
    by_name: dict[tuple[str, str], suggestions.Proposal] = {}
    for proposal in suggestions.propose(rows, categories):
        for name in proposal.names:
            by_name[(proposal.technology, name)] = proposal
    return by_name


def _covered(form: forms.Form, selected: dict[int, UndeclaredCookie]) -> list[UndeclaredCookie]:
    """The selected entries a row of the declare page covers, to list beside it."""
    pks = str(form["found"].value() or "").split()
    return [selected[int(pk)] for pk in pks if pk.isdigit() and int(pk) in selected]


def _lifetime_text(proposal: suggestions.Proposal) -> str:
    return format_lifetime(proposal.lifetime) if proposal.lifetime_known else ""


@admin.register(UndeclaredCookie)
class UndeclaredCookieAdmin(RefuseNulMixin, PublishReminderMixin, _UndeclaredAdmin):
    """The inbox of cookies nobody declared: declare them in a category, or dismiss them."""

    # One short line per value (a long page cut, its whole on hover), so the list fits a
    # laptop's screen beside its filters; the technology and whether it was dismissed are
    # filters, and on each name's page.
    list_display = (
        "name",
        "source",
        "times_seen",
        "seen",
        "lifetime_seen",
        "suggestion",
        "example_page",
    )
    list_filter = ("dismissed", "source", "technology")
    search_fields = ("name", "example_path")
    # What was seen is shown, never edited: the lifetime in words (lifetime_seen), not a box
    # of raw seconds whose Save would overwrite what the site did.
    exclude = ("max_age",)
    readonly_fields = (
        "name",
        "technology",
        "source",
        "sightings",
        "last_seen",
        "lifetime_seen",
        "suggestion",
        "example_path",
        "dismissed",
        "first_seen",
    )

    class Media:
        css = display.LIST_CSS

    @admin.display(description=_("times seen"), ordering="sightings")
    def times_seen(self, obj: UndeclaredCookie) -> int:
        return obj.sightings

    @admin.display(description=_("last seen"), ordering="last_seen")
    def seen(self, obj: UndeclaredCookie) -> SafeString | str:
        return display.moment(obj.last_seen)

    @admin.display(description=_("example page"), ordering="example_path")
    def example_page(self, obj: UndeclaredCookie) -> SafeString:
        return display.clipped(obj.example_path)

    actions = ("declare", "dismiss")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        proposals = _proposals(list(CookieCategory.objects.all()))
        for found in changelist.result_list:
            found.proposal = proposals.get((found.technology, found.name))
        return changelist

    @admin.display(description=_("lifetime seen"), ordering="max_age")
    def lifetime_seen(self, obj: UndeclaredCookie) -> str:
        if obj.max_age is None:
            return "—"
        return format_lifetime(suggestions.rounded(obj.max_age) if obj.max_age else None)

    @admin.display(description=_("suggestion"))
    def suggestion(self, obj: UndeclaredCookie) -> str:
        proposal: suggestions.Proposal | None = getattr(obj, "proposal", None)
        if proposal is None and not hasattr(obj, "proposal"):
            proposal = _proposals(list(CookieCategory.objects.all())).get(
                (obj.technology, obj.name)
            )
        if proposal is None or (proposal.known is None and not proposal.is_pattern):
            return "—"
        unmatched = proposal.known.category if proposal.known else ""
        parts = [
            str(proposal.category)
            if proposal.category
            else (
                gettext("%(category)s (not a category here)") % {"category": unmatched}
                if unmatched
                else ""
            ),
            proposal.provider,
            _lifetime_text(proposal) if proposal.lifetime_source == "database" else "",
        ]
        text = " · ".join(p for p in parts if p)
        if proposal.is_pattern:
            pattern = format_html("{} <code>{}</code>", gettext("as"), proposal.name)
            whole = f"{text} {gettext('as')} {proposal.name}".strip()
            shown = format_html("{} {}", text, pattern) if text else pattern
        else:
            whole, shown = text, format_html("{}", text)
        if not whole:
            return "—"
        # Cut to its column, the whole in the tooltip: the list fits a laptop's screen.
        return format_html('<span class="cc-clip cc-clip--wide" title="{}">{}</span>', whole, shown)

    @admin.action(description=_("Declare in a category…"), permissions=["view"])
    def declare(
        self, request: HttpRequest, queryset: QuerySet[UndeclaredCookie]
    ) -> HttpResponse | None:
        if not request.user.has_perm("cookieconsent.add_cookie"):
            raise PermissionDenied
        selected = {found.pk: found for found in queryset.order_by("name")}
        if "apply" in request.POST:
            formset = DeclareFormSet(request.POST)
            if formset.is_valid() and self._covers(formset, selected):
                self._declare_all(request, formset, selected)
                return None
        else:
            formset = DeclareFormSet(initial=self._initial(selected))
        categories = CookieCategory.objects.exists()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Declare undeclared cookies"),
            "formset": formset,
            "rows": [(form, _covered(form, selected)) for form in formset],
            "queryset": list(selected.values()),
            "has_categories": categories,
            "lifetime_help": LIFETIME_HELP_TEXT,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "category_url": reverse(
                "admin:cookieconsent_cookiecategory_add", current_app=self.admin_site.name
            ),
        }
        # As Django's own admin views: {% url 'admin:...' %} then names this site.
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/cookieconsent/undeclaredcookie/declare.html", context
        )

    def _initial(self, selected: dict[int, UndeclaredCookie]) -> list[dict[str, Any]]:
        """A row per proposal that covers a selected name, prefilled with it."""
        proposals = _proposals(list(CookieCategory.objects.all()))
        rows: dict[int, dict[str, Any]] = {}
        for found in selected.values():
            proposal = proposals.get((found.technology, found.name))
            if proposal is None:  # pragma: no cover - every listed name has one
                continue
            row = rows.get(id(proposal))
            if row is None:
                row = rows[id(proposal)] = {
                    "found": "",
                    "name": proposal.name,
                    "category": proposal.category.pk if proposal.category else None,
                    # Unknown stays empty: empty is refused, never read as "session".
                    "lifetime": proposal.lifetime if proposal.lifetime_known else "",
                    "provider": proposal.provider,
                    "purpose": proposal.purpose,
                }
            row["found"] = f"{row['found']} {found.pk}".strip()
        return list(rows.values())

    def _covers(self, formset: Any, selected: dict[int, UndeclaredCookie]) -> bool:
        """Whether the rows name only selected entries (the page was not tampered with)."""
        for form in formset:
            if not set(form.cleaned_data["found"]) <= set(selected):
                form.add_error(None, gettext("The form was changed: start again."))
                return False
        return True

    def _declare_all(
        self, request: HttpRequest, formset: Any, selected: dict[int, UndeclaredCookie]
    ) -> None:
        """Declare each row as the cookie form would, and take what it covers off the list;
        a row the form would refuse stays on the list, and staff are told why."""
        declared: dict[CookieCategory, list[str]] = {}
        known: list[tuple[str, CookieCategory]] = []
        refused: list[tuple[str, list[str]]] = []
        with transaction.atomic(using=router.db_for_write(Cookie)):
            for form in formset:
                data = form.cleaned_data
                entries = [selected[pk] for pk in data["found"]]
                if not entries:
                    continue
                name, technology = data["name"], entries[0].technology
                if technology == Technology.HTTP_COOKIE:
                    name = name.strip()  # a cookie's name never has spaces around it
                existing = (
                    Cookie.objects.filter(name=name, technology=technology)
                    .select_related("category")
                    .first()
                )
                if existing is not None:
                    # Declared already (since it was seen, or staff typed a declared name): the
                    # entries it covers are stale, and the declaration stays where staff put
                    # it. One it does not cover (“tracker” renamed “prefs”) stays listed.
                    covered = pattern_regex(name).fullmatch
                    stale = [e.pk for e in entries if covered(e.name)]
                    UndeclaredCookie.objects.filter(pk__in=stale).delete()
                    known.append((name, existing.category))
                    continue
                cookie = Cookie(
                    name=name,
                    technology=technology,
                    category=data["category"],
                    lifetime=data["lifetime"],
                    provider=data["provider"],
                    purpose=data["purpose"],
                )
                try:
                    # The field validators, Cookie.clean() and the unique constraint, as on
                    # the category's page: "*" declared strictly necessary would let every
                    # cookie through without consent.
                    cookie.full_clean()
                except ValidationError as error:
                    refused.append((name, error.messages))
                    continue
                cookie.save()
                # Every listed name it now declares leaves the list, selected or not.
                matches = pattern_regex(name).fullmatch
                prefix = name.split("*", 1)[0]
                UndeclaredCookie.objects.filter(
                    pk__in=[
                        pk
                        for pk, listed in UndeclaredCookie.objects.filter(
                            technology=technology, name__startswith=prefix
                        ).values_list("pk", "name")
                        if matches(listed)
                    ]
                ).delete()
                declared.setdefault(data["category"], []).append(name)
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
        for category, names in declared.items():
            self.message_user(
                request,
                gettext("Declared %(names)s in %(category)s.")
                % {"names": ", ".join(sorted(names)), "category": category},
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
