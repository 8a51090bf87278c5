"""How a release reads on a page and in the national report: labels, numbers, tables and charts.

Shared by the monitoring dashboard, the indicator pages and `rightsfirst report`, so that a
number reads the same wherever it appears. Nothing here computes or protects anything: it only
shows what the release publishes, and says "not published" where it publishes nothing.
"""

from __future__ import annotations

import functools
import gettext as gettext_module
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from rightsfirst.monitoring.charts import Bar, bar_chart
from rightsfirst.monitoring.indicators import UNKNOWN, Breakdown, Indicator
from rightsfirst.monitoring.tables import TOTAL
from rightsfirst.web.lifecycle import STAGE_CHOICES
from rightsfirst.web.models import Person
from rightsfirst.web.views.dashboard import PURPOSE_LABELS, measure_label

if TYPE_CHECKING:
    from rightsfirst.monitoring.release import PublishedResult, Release

# The dashboard's sections, in the order of the framework's chain: identify, do not detain or
# punish, protect and support without conditions, children, return, justice, and the engine's
# own record. Every indicator of the catalogue is in exactly one (a test checks).
SECTIONS: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    (
        "identification",
        gettext_lazy("Identification"),
        ("persons_referred", "persons_presumed", "persons_identified", "identification_decision_days"),
    ),
    (
        "non-punishment",
        gettext_lazy("No detention, no punishment"),
        ("detained_presumed_victims", "detained_child_victims", "prosecuted_for_status_offences"),
    ),
    (
        "support",
        gettext_lazy("Protection and support without conditions"),
        (
            "support_conditional_on_cooperation",
            "services_refused",
            "mandatory_testing",
            "reflection_periods_granted",
            "reflection_period_days",
            "residence_permits_during_proceedings",
        ),
    ),
    ("children", gettext_lazy("Children"), ("children_guardian_within_target",)),
    ("return", gettext_lazy("Return"), ("returns_with_risk_assessment", "voluntary_returns")),
    (
        "justice",
        gettext_lazy("Justice and remedies"),
        (
            "investigations_opened",
            "compensation_claimed",
            "compensation_awarded",
            "compensation_paid",
            "compensation_paid_from_confiscated_assets",
        ),
    ),
    ("review", gettext_lazy("Decisions checked against the law"), ("measures_with_violations", "measures_overridden")),
)

TITLES = {
    "persons_referred": gettext_lazy("Persons referred"),
    "persons_presumed": gettext_lazy("Persons presumed to be victims"),
    "persons_identified": gettext_lazy("Persons identified as victims"),
    "identification_decision_days": gettext_lazy("Days from referral to identification decision"),
    "detained_presumed_victims": gettext_lazy("Presumed or identified victims detained"),
    "detained_child_victims": gettext_lazy("Children presumed or identified as victims who were detained"),
    "prosecuted_for_status_offences": gettext_lazy(
        "Presumed or identified victims prosecuted or penalised for status offences"
    ),
    "support_conditional_on_cooperation": gettext_lazy("Support or status made conditional on cooperation"),
    "services_refused": gettext_lazy("Persons who refused a service"),
    "mandatory_testing": gettext_lazy("Persons required to take a medical test"),
    "reflection_periods_granted": gettext_lazy("Persons granted a recovery and reflection period"),
    "reflection_period_days": gettext_lazy("Length of the recovery and reflection periods granted"),
    "residence_permits_during_proceedings": gettext_lazy("Residence permits granted while proceedings were under way"),
    "returns_with_risk_assessment": gettext_lazy("Returns preceded by an individual risk assessment"),
    "voluntary_returns": gettext_lazy("Voluntary returns"),
    "children_guardian_within_target": gettext_lazy("Children with a guardian appointed within the target time"),
    "compensation_claimed": gettext_lazy("Compensation claimed"),
    "compensation_awarded": gettext_lazy("Compensation awarded"),
    "compensation_paid": gettext_lazy("Compensation paid"),
    "compensation_paid_from_confiscated_assets": gettext_lazy("Compensation paid from confiscated assets"),
    "investigations_opened": gettext_lazy("Persons whose case saw an investigation opened"),
    "measures_with_violations": gettext_lazy("Measures the engine found in violation"),
    "measures_overridden": gettext_lazy("Measures saved over a violation by an override"),
}

DIMENSION_LABELS = {
    "age_band": gettext_lazy("Age band"),
    "sex": gettext_lazy("Sex"),
    "nationality": gettext_lazy("Nationality"),
    "form": gettext_lazy("Form of exploitation"),
    "agency": gettext_lazy("Agency"),
    "region": gettext_lazy("Region"),
    "child": gettext_lazy("Treated as a child"),
    "stage": gettext_lazy("Stage"),
    "measure_type": gettext_lazy("Measure"),
    "rule": gettext_lazy("Rule"),
    "currency": gettext_lazy("Currency"),
}
# The same, as they read after "by" in a table's caption ("Persons referred, by age band and sex").
CAPTION_NAMES = {
    "age_band": gettext_lazy("age band"),
    "sex": gettext_lazy("sex"),
    "nationality": gettext_lazy("nationality"),
    "form": gettext_lazy("form of exploitation"),
    "agency": gettext_lazy("agency"),
    "region": gettext_lazy("region"),
    "child": gettext_lazy("child or adult"),
    "stage": gettext_lazy("stage"),
    "measure_type": gettext_lazy("measure"),
    "rule": gettext_lazy("rule"),
    "currency": gettext_lazy("currency"),
}
UNIT_LABELS = {
    "persons": gettext_lazy("Persons"),
    "measures": gettext_lazy("Measures"),
    "days": gettext_lazy("Median"),
    "amount": gettext_lazy("Amount"),
}
# The dimensions a reader may choose on the dashboard (one at a time; pairs are on each
# indicator's page).
CHOOSABLE = ("sex", "age_band", "child", "nationality", "form", "agency", "region", "stage")
NOT_PUBLISHED = gettext_lazy("not published")


def title(indicator: Indicator) -> str:
    """The indicator's title in the reader's language."""
    return str(TITLES.get(indicator.id, indicator.title))


def value_label(dimension: str | None, value: str) -> str:
    """A readable label for one value of a dimension."""
    if value == TOTAL:
        return _("All")
    if value == UNKNOWN:
        return _("Not recorded")
    if dimension == "sex":
        return str(dict(Person.Sex.choices).get(value, value))
    if dimension == "form":
        return str(PURPOSE_LABELS.get(value, value))
    if dimension == "stage":
        return str(dict(STAGE_CHOICES).get(value, value))
    if dimension == "child":
        return _("Yes") if value == "yes" else _("No") if value == "no" else value
    if dimension == "measure_type":
        return measure_label(value)
    if dimension == "age_band":
        return value.replace("--", "\u2013")  # CTDC writes "9--17"; a reader expects an en dash
    if dimension == "nationality":
        return country_name(value)
    return value


@functools.lru_cache(maxsize=4)
def _country_names(language: str) -> gettext_module.NullTranslations:
    import pycountry

    return gettext_module.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)


def country_name(code: str) -> str:
    """ "Eritrea (ER)" in the reader's language; the code alone if it is not an ISO 3166 country."""
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    name = _country_names(get_language() or "en").gettext(country.name)
    return f"{name} ({code})"


def _number(value: float, decimals: int = 0) -> str:
    return str(number_format(value, decimal_pos=decimals, force_grouping=True))


@dataclass(frozen=True)
class ShownCell:
    """One cell as read: its text, the number a chart draws (None: not published or no data)."""

    text: str
    number: float | None
    suppressed: bool = False


def shown_cell(result: PublishedResult, cell: tuple[str, str]) -> ShownCell:
    """A cell's published reading: a count, "n of d (p %)", "median (n persons)" or "amount (n)"."""
    kind = result.indicator.kind
    count = result.count(cell)
    if result.suppressed(cell) or count is None:
        return ShownCell(str(NOT_PUBLISHED), None, suppressed=True)
    if kind == "share":
        base, share = result.base(cell), result.share(cell)
        if share is None:
            return ShownCell(_("%(count)s of %(base)s") % {"count": _number(count), "base": _number(base or 0)}, None)
        text = _("%(count)s of %(base)s (%(share)s %%)") % {
            "count": _number(count),
            "base": _number(base or 0),
            "share": _number(100 * share, 1),
        }
        return ShownCell(text, 100 * share)
    if kind in {"median", "sum"}:
        value = result.value(cell)
        if value is None:
            return ShownCell(_("no data (%(count)s)") % {"count": _number(count)}, None)
        decimals = 1 if kind == "median" and value != int(value) else 0
        if kind == "median":
            text = _("%(value)s days (%(count)s persons)") % {
                "value": _number(value, decimals),
                "count": _number(count),
            }
        else:
            text = _("%(value)s (%(count)s persons)") % {"value": _number(value, 2), "count": _number(count)}
        return ShownCell(text, value)
    return ShownCell(_number(count), float(count))


@dataclass
class ShownTable:
    """A published table as rows of labelled cells, with its chart (one-way tables only)."""

    caption: str
    row_label: str
    column_labels: list[str]
    rows: list[tuple[str, list[ShownCell], bool]] = field(default_factory=list)  # (label, cells, is the total)
    chart: SafeString | None = None

    @property
    def any_suppressed(self) -> bool:
        return any(cell.suppressed for _label, cells, _total in self.rows for cell in cells)


def _chart(result: PublishedResult, table: ShownTable, chart_id: str) -> SafeString | None:
    kind = result.indicator.kind
    if kind == "sum":
        return None  # amounts in several currencies are never drawn on one scale
    # Hatched means "not published"; a cell with nothing to show (a share of nobody) is an empty bar.
    bars = [
        Bar(label, 0.0 if cells[0].number is None and not cells[0].suppressed else cells[0].number, cells[0].text)
        for label, cells, is_total in table.rows
        if not is_total
    ]
    description = _("Bar chart of the table beside it; values not published are drawn hatched.")
    svg = bar_chart(chart_id, table.caption, description, bars, maximum=100.0 if kind == "share" else None)
    return mark_safe(svg)  # nosec B308, B703  # monitoring.charts escapes every text it draws


def shown_table(result: PublishedResult, chart_id: str = "") -> ShownTable:
    """The result as a table: rows by its row dimension, columns by its column dimension."""
    row_dimension, column_dimension = result.breakdown
    table = result.table
    caption = title(result.indicator)
    names = [str(CAPTION_NAMES.get(d, d)) for d in (row_dimension, column_dimension) if d is not None]
    if names:
        caption = _("%(title)s, by %(dimensions)s") % {"title": caption, "dimensions": _(" and ").join(names)}
    columns = list(table.columns) + [TOTAL] if table.columns else [TOTAL]
    unit = str(UNIT_LABELS.get(result.indicator.unit, result.indicator.unit))
    if result.indicator.kind == "share":
        unit = _("How many, of how many (share)")
    column_labels = [value_label(column_dimension, value) for value in columns] if table.columns else [unit]
    shown = ShownTable(caption, str(DIMENSION_LABELS.get(row_dimension or "", "")), column_labels)
    rows = [*table.rows, TOTAL] if table.rows else [TOTAL]
    for row in rows:
        cells = [shown_cell(result, (row, column)) for column in columns]
        shown.rows.append((value_label(row_dimension, row), cells, row == TOTAL))
    if chart_id and not table.columns and table.rows:
        shown.chart = _chart(result, shown, chart_id)
    return shown


def headline(result: PublishedResult | None) -> ShownCell | None:
    """The indicator's national (or scope) total."""
    if result is None:
        return None
    return shown_cell(result, (TOTAL, TOTAL))


def breakdown_for(release: Release, indicator: Indicator, dimension: str) -> PublishedResult | None:
    """The result of the indicator by one dimension (amounts per currency), if it is published so."""
    wanted: tuple[Breakdown, ...] = ((dimension, None), (dimension, "currency"))
    for breakdown in wanted:
        found = release.result(indicator.id, breakdown)
        if found is not None:
            return found
    return None
