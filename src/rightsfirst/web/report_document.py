"""The national report's content: every indicator of a release, grouped as on the dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rightsfirst.monitoring.indicators import default_catalogue
from rightsfirst.monitoring.release import Release
from rightsfirst.web.publication_display import SECTIONS, headline, shown_table, title


def report_context(release: Release, generated: dt.date) -> dict[str, Any]:
    """Sections of indicators, each with its definition, citations, headline and every table."""
    catalogue = default_catalogue()
    sections = []
    for key, label, ids in SECTIONS:
        items = []
        for indicator_id in ids:
            indicator = catalogue.indicator(indicator_id)
            results = release.for_indicator(indicator_id)
            total = release.result(indicator_id, (None, None))
            items.append(
                {
                    "indicator": indicator,
                    "title": title(indicator),
                    "population": catalogue.populations.get(indicator.denominator) if indicator.denominator else None,
                    "headline": None if indicator.kind == "sum" else headline(total),
                    "tables": [
                        shown_table(result, f"r-{indicator_id}-{index}") for index, result in enumerate(results)
                    ],
                }
            )
        sections.append({"key": key, "label": label, "items": items})
    return {
        "release": release,
        "period": release.period,
        "sections": sections,
        "generated": generated,
        "basis": catalogue.basis,
        "minimum_cell": release.policy.minimum_cell,
        "noisy": release.noisy,
    }
