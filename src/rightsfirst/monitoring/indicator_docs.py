"""docs/indicators.md, generated from the catalogue (`python -m rightsfirst.monitoring.indicator_docs`).

A test fails when the file and indicators.yaml disagree, so the published definitions are
always the ones computed.
"""

from __future__ import annotations

import sys

from rightsfirst.monitoring.indicators import Catalogue, SliceOf, default_catalogue


def _ids(ids: tuple[str, ...]) -> str:
    return ", ".join(f"`{provision_id}`" for provision_id in ids)


def _slice_text(slice_of: SliceOf | None) -> str:
    if slice_of is None:
        return ""
    return (
        f" The same persons as `{slice_of.of}` with `{slice_of.dimension}` = `{slice_of.value}`: its cells"
        " are that indicator's cells, and both are protected together."
    )


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
        definition = population.definition + _slice_text(population.slice_of)
        lines.append(f"| `{population.id}` | {population.title} | {population.counted} | {definition} |")
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
        if indicator.slice_of is not None:
            lines.append(f"- Related:{_slice_text(indicator.slice_of)}")
        if indicator.within is not None:
            lines.append(
                f"- Related: counts only {indicator.counted} that `{indicator.within}` counts too, so each "
                "cell is at most that indicator's same cell; both are protected together."
            )
        lines += [
            f"- Dimensions: {', '.join(f'`{dimension}`' for dimension in indicator.dimensions)}",
            f"- Cites: {_ids(indicator.citations)}",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(catalogue_markdown())
