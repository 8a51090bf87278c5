"""Charts as SVG drawn on the server: readable without JavaScript, printable, and accessible.

Each chart is a horizontal bar chart of one published table's cells (counts, shares or
statistics). A suppressed cell is drawn as a hatched, empty bar with the words the caller gives
("not published: fewer than 10 persons"), never as a zero. The chart carries a title and a
description for screen readers; the same numbers are always printed beside it as a table (the
page's job), so the chart adds nothing a reader without sight would miss.

No inline style: colours and fonts come from classes (the page's stylesheet), so the strict
Content-Security-Policy holds. Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 480
LABEL_WIDTH = 170
VALUE_WIDTH = 120
BAR_HEIGHT = 22
GAP = 8
TOP = 8
# About how many characters fit in the label column at the stylesheet's font size; a longer label
# is cut with an ellipsis in the chart (the table beside it, and the label's tooltip, say it all).
LABEL_CHARACTERS = 22


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1].rstrip() + "\u2026"


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value (None when not published), and the text shown at its end."""

    label: str
    value: float | None
    shown: str


def _scale(bars: Sequence[Bar], maximum: float | None) -> float:
    largest = max((bar.value for bar in bars if bar.value is not None), default=0.0)
    top = maximum if maximum is not None else largest
    return top if top > 0 else 1.0


def bar_chart(chart_id: str, title: str, description: str, bars: Sequence[Bar], *, maximum: float | None = None) -> str:
    """An SVG bar chart; `maximum` fixes the scale (100 for percentages), else the largest value.

    `chart_id` must be unique on the page (it names the title and description for aria).
    """
    safe_id = "".join(char if char.isalnum() or char in "-_" else "-" for char in chart_id)
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    top = _scale(bars, maximum)
    height = TOP * 2 + max(1, len(bars)) * (BAR_HEIGHT + GAP)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-labelledby="{safe_id}-title {safe_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{safe_id}-title">{escape(title)}</title>',
        f'<desc id="{safe_id}-desc">{escape(description)}</desc>',
        '<defs><pattern id="' + safe_id + '-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><line class="chart-hatch" x1="0" y1="0" x2="0" y2="6"/></pattern></defs>',
    ]
    if not bars:
        parts.append(f'<text class="chart-label" x="0" y="{TOP + BAR_HEIGHT - 6}">{escape(description)}</text>')
    for index, bar in enumerate(bars):
        y = TOP + index * (BAR_HEIGHT + GAP)
        text_y = y + BAR_HEIGHT - 6
        parts.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{text_y}" text-anchor="end">'
            f"<title>{escape(bar.label)}</title>{escape(_short(bar.label))}</text>"
        )
        if bar.value is None:
            parts.append(
                f'<rect class="chart-suppressed" x="{LABEL_WIDTH}" y="{y}" width="{span}" height="{BAR_HEIGHT}" '
                f'fill="url(#{safe_id}-hatch)"/>'
            )
            value_x: float = LABEL_WIDTH + span + 6
        else:
            length = max(0.0, min(1.0, bar.value / top)) * span
            parts.append(
                f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}"/>'
            )
            value_x = LABEL_WIDTH + length + 6
        parts.append(f'<text class="chart-value" x="{value_x:.1f}" y="{text_y}">{escape(bar.shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)
