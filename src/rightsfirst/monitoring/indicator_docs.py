"""docs/indicators.md, generated from the catalogue (`python -m rightsfirst.monitoring.indicator_docs`).

A test fails when the file and indicators.yaml disagree, so the published definitions are
always the ones computed.
"""

from __future__ import annotations

import sys

from rightsfirst.monitoring.indicators import Catalogue, default_catalogue


def _ids(ids: tuple[str, ...]) -> str:
    return ", ".join(f"`{provision_id}`" for provision_id in ids)


def catalogue_markdown(catalogue: Catalogue | None = None) -> str:
    """The catalogue as Markdown: conventions, populations, then one section per indicator."""
    catalogue = catalogue or default_catalogue()
    lines = [
        "# Monitoring indicators",
        "",
        "Generated from `src/rightsfirst/monitoring/indicators.yaml` by",
        "`python -m rightsfirst.monitoring.indicator_docs`; a test fails when they disagree.",
        f"The catalogue as a whole rests on {_ids(catalogue.basis)}. Look a provision up with",
        "`rightsfirst framework show ID`.",
        "",
        "| id | title | kind | counts | cites |",
        "|---|---|---|---|---|",
    ]
    for indicator in catalogue.indicators:
        lines.append(
            f"| [`{indicator.id}`](#{indicator.id}) | {indicator.title} | {indicator.kind} | "
            f"{indicator.counted} | {_ids(indicator.citations)} |"
        )
    lines += ["", "## Conventions", ""]
    for convention in catalogue.conventions:
        lines += [f"**{convention.title}.** {convention.text}", ""]
    lines += [
        "## Populations (denominators of shares)",
        "",
        "| id | title | counts | definition |",
        "|---|---|---|---|",
    ]
    for population in catalogue.populations.values():
        lines.append(f"| `{population.id}` | {population.title} | {population.counted} | {population.definition} |")
    lines += ["", "## Indicators", ""]
    for indicator in catalogue.indicators:
        lines += [
            f"### {indicator.id}",
            "",
            f"**{indicator.title}** ({indicator.kind}, unit: {indicator.unit}; cells count {indicator.counted})",
            "",
            f"- Counts: {indicator.definition}",
            f"- Period: {indicator.period_rule}",
        ]
        if indicator.denominator is not None:
            population = catalogue.populations[indicator.denominator]
            lines.append(f"- Share of: {population.title} (`{population.id}`): {population.definition}")
        if indicator.statistic is not None:
            lines.append(f"- Value: {indicator.statistic}")
        lines += [
            f"- Dimensions: {', '.join(f'`{dimension}`' for dimension in indicator.dimensions)}",
            f"- Cites: {_ids(indicator.citations)}",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(catalogue_markdown())
