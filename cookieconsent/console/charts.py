"""Charts as server-rendered SVG: no script, no inline style (safe under a strict CSP).

Each chart is an ``<svg role="img">`` with a title; the page puts a table of the same figures
beside it for screen readers and for anyone who wants the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 140


def _f(value: float) -> str:
    return f"{value:.1f}"


def _nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value``."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def stacked_columns(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[int]]],
    *,
    height: int = 240,
) -> SafeString:
    """One column per label, stacked by series ``(name, colour, values)``."""
    left, bottom, top = 44, 28, 10
    plot_w, plot_h = WIDTH - left - 8, height - bottom - top
    totals = [sum(values[i] for _, _, values in series) for i in range(len(labels))]
    peak = _nice_max(max(totals, default=0))
    n = max(len(labels), 1)
    slot = plot_w / n
    bar = max(1.0, slot * 0.8)
    parts: list[SafeString] = []
    for tick in (0, peak // 2, peak):
        y = top + plot_h - plot_h * tick / peak
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ccc"/>'
                '<text x="{}" y="{}" text-anchor="end" font-size="11">{}</text>',
                left,
                WIDTH - 8,
                _f(y),
                _f(y),
                left - 4,
                _f(y + 4),
                tick,
            )
        )
    every = max(1, round(n / 10))  # at most about ten labels under the axis
    for i, label in enumerate(labels):
        x = left + i * slot + (slot - bar) / 2
        y = top + plot_h
        for name, colour, values in series:
            h = plot_h * values[i] / peak
            if h <= 0:
                continue
            y -= h
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {} {}</title></rect>",
                    _f(x),
                    _f(y),
                    _f(bar),
                    _f(h),
                    colour,
                    label,
                    values[i],
                    name,
                )
            )
        if i % every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" font-size="11">{}</text>',
                    _f(x + bar / 2),
                    height - 10,
                    label,
                )
            )
    return _svg(title, height, parts)


def bars(
    title: str, rows: Sequence[tuple[str, float, str]], *, colour: str = "#0072B2"
) -> SafeString:
    """One horizontal bar per row ``(label, fraction 0..1, text shown after the bar)``."""
    height = max(1, len(rows)) * (BAR_HEIGHT + GAP) + GAP
    plot_w = WIDTH - LABEL_WIDTH - 70
    parts: list[SafeString] = []
    for i, (label, fraction, text) in enumerate(rows):
        y = GAP + i * (BAR_HEIGHT + GAP)
        w = plot_w * max(0.0, min(1.0, fraction))
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="12">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="#eee"/>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
                '<text x="{}" y="{}" font-size="12">{}</text>',
                LABEL_WIDTH - 6,
                y + 15,
                label,
                LABEL_WIDTH,
                y,
                plot_w,
                BAR_HEIGHT,
                LABEL_WIDTH,
                y,
                _f(w),
                BAR_HEIGHT,
                colour,
                LABEL_WIDTH + plot_w + 6,
                y + 15,
                text,
            )
        )
    return _svg(title, height, parts)


def shares(title: str, rows: Sequence[tuple[str, Sequence[tuple[str, str, int]]]]) -> SafeString:
    """One 100 % bar per row ``(label, [(series name, colour, count), ...])``."""
    height = max(1, len(rows)) * (BAR_HEIGHT + GAP) + GAP
    plot_w = WIDTH - LABEL_WIDTH - 8
    parts: list[SafeString] = []
    for i, (label, segments) in enumerate(rows):
        y = GAP + i * (BAR_HEIGHT + GAP)
        total = sum(n for _, _, n in segments) or 1
        x = float(LABEL_WIDTH)
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="12">{}</text>',
                LABEL_WIDTH - 6,
                y + 15,
                label,
            )
        )
        for name, colour, n in segments:
            w = plot_w * n / total
            if w <= 0:
                continue
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {} {} ({})</title></rect>",
                    _f(x),
                    y,
                    _f(w),
                    BAR_HEIGHT,
                    colour,
                    label,
                    n,
                    name,
                    f"{n / total:.0%}",
                )
            )
            x += w
    return _svg(title, height, parts)


def swatch(colour: str) -> SafeString:
    """A small square of ``colour`` for a legend."""
    return format_html(
        '<svg width="12" height="12" aria-hidden="true" focusable="false">'
        '<rect width="12" height="12" fill="{}"/></svg>',
        colour,
    )


def _svg(title: str, height: int, parts: list[SafeString]) -> SafeString:
    return format_html(
        '<svg class="cc-chart" viewBox="0 0 {} {}" width="100%" role="img" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        WIDTH,
        height,
        title,
        format_html_join("", "{}", ((p,) for p in parts)) if parts else mark_safe(""),
    )
