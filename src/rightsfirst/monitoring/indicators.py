"""The indicator catalogue: what is counted, over which period and population, and why.

The indicators are data (indicators.yaml), read strictly like the framework's files: an unknown
key, a missing field, a dimension or unit that does not exist, or a citation of a provision the
framework does not hold is reported with the file and line. Computation is elsewhere
(compute.py with DuckDB, baseline.py with pandas); both implement exactly these definitions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from rightsfirst.framework.loader import _exact_keys, _list, _mapping, _text, _word_list
from rightsfirst.framework.yamlsource import FrameworkError, Located, read_yaml
from rightsfirst.monitoring.disclosure_model import Relation, Slice, Subset
from rightsfirst.monitoring.tables import CountTable

# Dimensions of the person (the case), which every indicator may be published by when its
# definition allows (RPG.G3.3: age, gender and other relevant characteristics).
DIMENSIONS = ("age_band", "sex", "nationality", "form", "agency", "region", "child", "stage")
# Dimensions of a counted measure, and of an amount.
MEASURE_DIMENSIONS = ("measure_type", "rule")
AMOUNT_DIMENSIONS = ("currency",)
ALL_DIMENSIONS = DIMENSIONS + MEASURE_DIMENSIONS + AMOUNT_DIMENSIONS
# A person can have several forms of exploitation, a measure can breach several rules, and a
# person can have amounts in several currencies: along these the total is the number of distinct
# persons (or measures), not the sum of the cells.
OVERLAPPING = frozenset({"form", "rule", "currency"})
# The value of a dimension that was not recorded.
UNKNOWN = "unknown"

UNITS = ("persons", "measures", "days", "amount")
KINDS = ("count", "share", "median", "sum")
COUNTED = ("persons", "measures")

# (row dimension, column dimension); (None, None) is the table of totals.
Breakdown = tuple[str | None, str | None]

_FILE = "monitoring/indicators.yaml"
_INDICATOR_KEYS = ("id", "title", "unit", "kind", "counted", "definition", "period", "citations", "dimensions")


@dataclass(frozen=True)
class Convention:
    """A rule shared by every indicator (what a period is, when a person counts as presumed ...)."""

    id: str
    title: str
    text: str


@dataclass(frozen=True)
class SliceOf:
    """What a definition says when it counts exactly the persons of another with one value fixed."""

    of: str  # the wider indicator or population
    dimension: str
    value: str


@dataclass(frozen=True)
class Population:
    """The population a share is taken of, shared by the indicators that name it."""

    id: str
    title: str
    counted: str  # "persons" | "measures"
    definition: str
    slice_of: SliceOf | None = None


@dataclass(frozen=True)
class Indicator:
    """One indicator: its definition in plain words, what it cites and how it may be broken down."""

    id: str  # snake_case, e.g. "detained_presumed_victims"
    title: str  # short, plain words (English; the web translates titles by id)
    definition: str  # what is counted, in our own words
    unit: str  # "persons" | "measures" | "days" | "amount"
    kind: str  # "count" | "share" | "median" | "sum"
    citations: tuple[str, ...]  # provision ids that exist in the framework
    dimensions: tuple[str, ...]  # the breakdowns it may be published by
    counted: str = "persons"  # what the cells of its count tables count: "persons" | "measures"
    period_rule: str = ""  # which date places a person or measure in the period
    denominator: str | None = None  # for shares: the id of the population the share is of
    statistic: str | None = None  # for medians and sums: what the value of a cell is
    line: int = 0  # where it is defined in indicators.yaml
    # What the definition says of other indicators (readers know it too; disclosure control
    # protects related tables together): the same persons as another's with one value fixed,
    # or only persons another counts too (a share's count is always within its denominator).
    slice_of: SliceOf | None = None
    within: str | None = None


@dataclass(frozen=True)
class Catalogue:
    """The whole catalogue file: its basis, shared conventions, populations and indicators."""

    basis: tuple[str, ...]
    conventions: tuple[Convention, ...]
    populations: Mapping[str, Population]
    indicators: tuple[Indicator, ...]

    def relations(self) -> tuple[Relation, ...]:
        """What the definitions say of each other, for disclosure control (slices, subsets)."""
        found: list[Relation] = []
        items: list[Population | Indicator] = [*self.populations.values(), *self.indicators]
        for item in items:
            if item.slice_of is not None:
                found.append(Slice(item.id, item.slice_of.of, item.slice_of.dimension, item.slice_of.value))
        for indicator in self.indicators:
            for wider in (indicator.denominator, indicator.within):
                if wider is not None:
                    found.append(Subset(indicator.id, wider))
        return tuple(found)

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator with this id; KeyError naming the known ids if there is none."""
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        raise KeyError(f"no indicator {indicator_id!r} (known: {', '.join(i.id for i in self.indicators)})")


@dataclass(frozen=True)
class Period:
    """The days an indicator is computed for, first and last included."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end.isoformat()}) before it starts ({self.start.isoformat()})")

    @classmethod
    def parse(cls, start: str, end: str) -> Period:
        """A period from two ISO dates (YYYY-MM-DD); ValueError saying which one is wrong."""
        days = []
        for name, text in (("start", start), ("end", end)):
            try:
                days.append(dt.date.fromisoformat(text))
            except ValueError:
                raise ValueError(f"period {name}: {text!r} is not a date (YYYY-MM-DD)") from None
        return cls(days[0], days[1])


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator computed for one period and one breakdown."""

    indicator: Indicator
    breakdown: Breakdown
    counts: CountTable  # the numerator: persons (or measures) counted, per cell, margins included
    denominator: CountTable | None  # for shares: the population the share is of (same cells)
    values: Mapping[tuple[str, str], float | None] | None  # medians or sums per cell (None: no data)


def _check_citations(node: Located, provisions: Mapping[str, object], what: str) -> tuple[str, ...]:
    ids = _word_list(node, _FILE, what, None)
    if not ids:
        raise FrameworkError(_FILE, node.line, f"{what}: at least one provision is needed")
    for item in node.value:
        if item.value not in provisions:
            raise FrameworkError(_FILE, item.line, f"{what}: {item.value!r} is not a provision of the framework")
    return ids


def _choice(node: Located, allowed: tuple[str, ...], what: str) -> str:
    value = _text(node, _FILE, what)
    if value not in allowed:
        raise FrameworkError(_FILE, node.line, f"{what}: {value!r} is not allowed (allowed: {', '.join(allowed)})")
    return value


def _load_indicator(
    node: Located, populations: Mapping[str, Population], provisions: Mapping[str, object]
) -> Indicator:
    entry = _mapping(node, _FILE, "an indicator")
    optional = ("denominator", "statistic", "slice_of", "within")
    _exact_keys(entry, _INDICATOR_KEYS, optional, _FILE, node.line, "indicator")
    indicator_id = _text(entry["id"], _FILE, "id")
    if not indicator_id.replace("_", "").isalnum() or indicator_id != indicator_id.lower():
        raise FrameworkError(_FILE, entry["id"].line, f"id {indicator_id!r} must be snake_case")
    what = f"indicator {indicator_id}"
    kind = _choice(entry["kind"], KINDS, f"{what}: kind")
    unit = _choice(entry["unit"], UNITS, f"{what}: unit")
    counted = _choice(entry["counted"], COUNTED, f"{what}: counted")
    dimensions = _word_list(entry["dimensions"], _FILE, f"{what}: dimensions", frozenset(ALL_DIMENSIONS))
    if len(set(dimensions)) != len(dimensions):
        raise FrameworkError(_FILE, entry["dimensions"].line, f"{what}: a dimension is listed twice")
    if counted != "measures" and set(dimensions) & set(MEASURE_DIMENSIONS):
        raise FrameworkError(_FILE, entry["dimensions"].line, f"{what}: measure dimensions need counted: measures")
    if (kind == "sum") != ("currency" in dimensions):
        raise FrameworkError(_FILE, entry["dimensions"].line, f"{what}: sums, and only sums, are per currency")
    expected_unit = {"median": ("days",), "sum": ("amount",)}.get(kind, (counted,))
    if unit not in expected_unit:
        raise FrameworkError(_FILE, entry["unit"].line, f"{what}: a {kind} has unit {' or '.join(expected_unit)}")
    denominator = None
    if "denominator" in entry:
        denominator = _text(entry["denominator"], _FILE, f"{what}: denominator")
        population = populations.get(denominator)
        if population is None:
            raise FrameworkError(
                _FILE,
                entry["denominator"].line,
                f"{what}: no population {denominator!r} (known: {', '.join(populations)})",
            )
        if population.counted != counted:
            raise FrameworkError(
                _FILE, entry["denominator"].line, f"{what}: its population counts {population.counted}"
            )
    if (kind == "share") != (denominator is not None):
        raise FrameworkError(_FILE, node.line, f"{what}: a share, and only a share, names a denominator")
    statistic = _text(entry["statistic"], _FILE, f"{what}: statistic") if "statistic" in entry else None
    if (kind in {"median", "sum"}) != (statistic is not None):
        raise FrameworkError(_FILE, node.line, f"{what}: medians and sums, and only they, say their statistic")
    within = _text(entry["within"], _FILE, f"{what}: within") if "within" in entry else None
    return Indicator(
        id=indicator_id,
        title=_text(entry["title"], _FILE, f"{what}: title"),
        definition=_text(entry["definition"], _FILE, f"{what}: definition"),
        unit=unit,
        kind=kind,
        citations=_check_citations(entry["citations"], provisions, f"{what}: citations"),
        dimensions=dimensions,
        counted=counted,
        period_rule=_text(entry["period"], _FILE, f"{what}: period"),
        denominator=denominator,
        statistic=statistic,
        line=node.line,
        slice_of=_slice_of(entry, what, dimensions),
        within=within,
    )


def _slice_of(entry: Mapping[str, Located], what: str, dimensions: tuple[str, ...]) -> SliceOf | None:
    if "slice_of" not in entry:
        return None
    node = entry["slice_of"]
    fields = _mapping(node, _FILE, f"{what}: slice_of")
    _exact_keys(fields, ("of", "dimension", "value"), (), _FILE, node.line, f"{what}: slice_of")
    dimension = _choice(fields["dimension"], DIMENSIONS, f"{what}: slice_of: dimension")
    if dimension in dimensions:
        raise FrameworkError(
            _FILE, node.line, f"{what}: fixes {dimension} for all its persons, so it cannot be published by it"
        )
    return SliceOf(
        _text(fields["of"], _FILE, f"{what}: slice_of: of"),
        dimension,
        _text(fields["value"], _FILE, f"{what}: slice_of: value"),
    )


def _check_relations(catalogue: Catalogue, lines: Mapping[str, int]) -> None:
    """Every relation names a known indicator or population that counts the same things."""
    counted = {p.id: p.counted for p in catalogue.populations.values()}
    counted.update({i.id: i.counted for i in catalogue.indicators})
    items: list[Population | Indicator] = [*catalogue.populations.values(), *catalogue.indicators]
    for item in items:
        wider = [item.slice_of.of] if item.slice_of is not None else []
        if isinstance(item, Indicator) and item.within is not None:
            wider.append(item.within)
        for other in wider:
            if other not in counted or other == item.id:
                raise FrameworkError(_FILE, lines[item.id], f"{item.id}: no other indicator or population {other!r}")
            if counted[other] != item.counted:
                raise FrameworkError(_FILE, lines[item.id], f"{item.id}: {other} counts {counted[other]}")


def load_catalogue(path: Path | None = None, provisions: Mapping[str, object] | None = None) -> Catalogue:
    """Read and validate the catalogue (default: the shipped indicators.yaml).

    Citations are checked against `provisions` (default: the framework's). Any problem raises
    FrameworkError naming the file and line.
    """
    if provisions is None:
        from rightsfirst.framework.loader import default_framework

        provisions = default_framework().provisions
    path = path or Path(str(resources.files("rightsfirst.monitoring"))) / "indicators.yaml"
    root_node = read_yaml(path, _FILE)
    root = _mapping(root_node, _FILE, "the catalogue")
    _exact_keys(root, ("basis", "conventions", "populations", "indicators"), (), _FILE, root_node.line, "the catalogue")
    basis = _check_citations(root["basis"], provisions, "basis")
    conventions = []
    for node in _list(root["conventions"], _FILE, "conventions"):
        entry = _mapping(node, _FILE, "a convention")
        _exact_keys(entry, ("id", "title", "text"), (), _FILE, node.line, "convention")
        conventions.append(
            Convention(
                _text(entry["id"], _FILE, "id"),
                _text(entry["title"], _FILE, "title"),
                _text(entry["text"], _FILE, "text"),
            )
        )
    populations: dict[str, Population] = {}
    lines: dict[str, int] = {}
    for node in _list(root["populations"], _FILE, "populations"):
        entry = _mapping(node, _FILE, "a population")
        _exact_keys(entry, ("id", "title", "counted", "definition"), ("slice_of",), _FILE, node.line, "population")
        population_id = _text(entry["id"], _FILE, "id")
        lines[population_id] = node.line
        if population_id in populations:
            raise FrameworkError(_FILE, entry["id"].line, f"duplicate population {population_id!r}")
        populations[population_id] = Population(
            population_id,
            _text(entry["title"], _FILE, "title"),
            _choice(entry["counted"], COUNTED, f"population {population_id}: counted"),
            _text(entry["definition"], _FILE, "definition"),
            _slice_of(entry, f"population {population_id}", ()),
        )
    indicators: list[Indicator] = []
    for node in _list(root["indicators"], _FILE, "indicators"):
        indicator = _load_indicator(node, populations, provisions)
        if any(existing.id == indicator.id for existing in indicators):
            raise FrameworkError(_FILE, node.line, f"duplicate indicator {indicator.id!r}")
        indicators.append(indicator)
        lines[indicator.id] = indicator.line
    unused = sorted(set(populations) - {indicator.denominator for indicator in indicators})
    if unused:
        raise FrameworkError(_FILE, root["populations"].line, f"populations no indicator uses: {', '.join(unused)}")
    catalogue = Catalogue(basis, tuple(conventions), populations, tuple(indicators))
    _check_relations(catalogue, lines)
    return catalogue


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The shipped catalogue, loaded once per process."""
    return load_catalogue()


def catalogue() -> tuple[Indicator, ...]:
    """Every indicator of the shipped catalogue, in catalogue order."""
    return default_catalogue().indicators
