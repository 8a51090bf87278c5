"""The framework as typed, immutable data: provisions, dated parameters, indicators."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

INSTRUMENTS: Mapping[str, str] = {
    "TIP": "Trafficking Protocol (2000), article 3",
    "RPG": "UN Recommended Principles and Guidelines on Human Rights and Human Trafficking (E/2002/68/Add.1, 2002)",
    "FS36": "OHCHR Fact Sheet No. 36, Human Rights and Human Trafficking (2014)",
    "HRS": "Human Rights Standards for the Treatment of Trafficked Persons (1999)",
}

KINDS = frozenset({"definition", "entitlement", "obligation", "prohibition", "policy"})
DUTY_BEARERS = frozenset(
    {
        "state",
        "origin_state",
        "destination_state",
        "states_and_organisations",
        "law_enforcement",
        "prosecution_and_courts",
        "service_providers",
        "missions_and_personnel",
        "none",
    }
)
PROTECTED_GROUPS = frozenset(
    {
        "all",
        "adults",
        "children",
        "women",
        "migrants",
        "asylum_seekers",
        "witnesses",
        "families",
        "defendants",
        "at_risk",
        "none",
    }
)
TAGS = frozenset(
    """definition identification indicators consent smuggling children age best-interests
    guardian family-tracing child-views non-criminalisation detention shelter health testing
    non-conditionality non-coercion privacy information language legal-assistance interpreter
    proceedings witness-protection suspect-release residence reflection-period return
    risk-assessment non-refoulement asylum consular reintegration remedies compensation
    confiscation investigation prosecution criminalisation sanctions extradition corruption
    prevention demand vulnerability non-discrimination gender freedom-of-movement emigration
    monitoring data research cooperation training legislation peacekeepers human-rights-primacy
    due-diligence documents social-support employment education""".split()
)


@dataclass(frozen=True, slots=True)
class Provision:
    """One citable paragraph of a source document, summarised in our own words."""

    id: str
    instrument: str
    paragraph: str
    title: str
    summary: str
    kind: str
    duty_bearer: str
    protects: tuple[str, ...]
    tags: tuple[str, ...]
    related: tuple[str, ...]
    file: str
    line: int
    related_line: int = 0


@dataclass(frozen=True, slots=True)
class ParameterValue:
    """A parameter's value from `valid_from` until the next value (None ends the parameter)."""

    valid_from: dt.date
    value: int | float | str | bool | None
    reference: str
    citations: tuple[str, ...]
    note: str = ""


class ParameterNotDefined(LookupError):
    """The parameter has no value at the requested date."""


@dataclass(frozen=True, slots=True)
class Parameter:
    """A named jurisdiction value that can change over time, each value with its reference."""

    name: str
    description: str
    unit: str
    values: tuple[ParameterValue, ...]  # sorted by valid_from
    profile: str

    def value_at(self, at: dt.date) -> ParameterValue:
        """The value in force on `at`; dates before the first value are refused."""
        current: ParameterValue | None = None
        for candidate in self.values:
            if candidate.valid_from <= at:
                current = candidate
            else:
                break
        if current is None:
            raise ParameterNotDefined(
                f"parameter {self.name!r} has no value before "
                f"{self.values[0].valid_from.isoformat()} (asked for {at.isoformat()})"
            )
        if current.value is None:
            raise ParameterNotDefined(
                f"parameter {self.name!r} ended on {current.valid_from.isoformat()} (asked for {at.isoformat()})"
            )
        return current

    def at(self, at: dt.date) -> int | float | str | bool:
        """Shorthand for the bare value in force on `at`."""
        value = self.value_at(at).value
        assert value is not None
        return value


@dataclass(frozen=True, slots=True)
class Profile:
    """A jurisdiction's dated parameters; a country profile overrides the international one."""

    id: str
    title: str
    description: str
    extends: str | None
    parameters: Mapping[str, Parameter]

    def parameter(self, name: str) -> Parameter:
        """The named parameter; an unknown name is a programming error."""
        return self.parameters[name]


@dataclass(frozen=True, slots=True)
class Dimension:
    """One dimension of the ILO/EC operational indicators (D1-D6)."""

    id: str
    title: str
    phase: str
    bears_on: str
    means: tuple[str, ...]
    purposes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Indicator:
    """An observable sign, graded strong/medium/weak per indicator set."""

    id: str
    dimension: str
    label: str
    grades: Mapping[str, str]
    forced_labour: str | None


@dataclass(frozen=True, slots=True)
class IndicatorCatalogue:
    """The indicator catalogue: sets, dimensions and graded indicators."""

    source: str
    sets: Mapping[str, str]
    verified_sets: frozenset[str]
    dimensions: Mapping[str, Dimension]
    indicators: Mapping[str, Indicator]


@dataclass(frozen=True, slots=True)
class Framework:
    """Everything the engine reasons from, validated at load."""

    version: str
    provisions: Mapping[str, Provision]
    profile: Profile
    indicators: IndicatorCatalogue
    files: tuple[str, ...] = field(default=())

    def provision(self, provision_id: str) -> Provision:
        """The provision with this id; raises KeyError if there is none."""
        return self.provisions[provision_id]

    def parameter(self, name: str, at: dt.date) -> int | float | str | bool:
        """The profile's value for `name` on `at`."""
        return self.profile.parameter(name).at(at)
