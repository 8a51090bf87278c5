"""The monitoring records: the de-identified facts every indicator and export is computed from.

Three tables, held column by column (Arrow), so that a million cases fit in memory and a columnar
engine can scan them:

- **cases**: one row per case (person). Dimensions for disaggregation (`RPG.G3.2`, `RPG.G3.3`: age
  band, sex, nationality, form of exploitation, agency, region) and the dates of the steps.
- **measures**: one row per measure or decision recorded about the person, with the coded facts
  the indicators count (detained? conditional on cooperation? risk assessed before return? …),
  one column per engine fact, and the engine's review of it (outcome, override, the rules that
  found a violation).
- **services**: one row per step recorded for an entitlement (offered, refused, delivered …).

No column holds a name, a reference, a date of birth, an address or free text. `case_key` is a
number that means nothing outside one extraction: it only joins the two tables.

Age bands are CTDC's (ages.py) (the field's practice for published data; HTCDS itself has none).
Values not known are `None` (null), never a guessed default.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from rightsfirst.engine.measures import TYPE_FIELDS

# The age bands are the records' vocabulary too (re-exported: importers of the tables use them).
from rightsfirst.monitoring.ages import AGE_BANDS as AGE_BANDS
from rightsfirst.monitoring.ages import CHILD_AGE_BANDS as CHILD_AGE_BANDS

SEXES = ("female", "male", "other")
# The engine's forms of exploitation (rightsfirst.engine.inputs.PURPOSES); a case may have several.
FORMS = (
    "sexual_exploitation",
    "exploitation_of_prostitution",
    "forced_labour",
    "forced_services",
    "slavery",
    "practices_similar_to_slavery",
    "servitude",
    "removal_of_organs",
    "forced_marriage",
    "forced_begging",
    "forced_criminality",
    "debt_bondage",
    "other_exploitation",
)
STAGES = (
    "referred",
    "screening",
    "presumed_victim",
    "identified",
    "recovery_and_reflection",
    "support",
    "legal_proceedings",
    "durable_solution",
    "closed",
)
# The screening finding of the engine (rightsfirst.engine.screening).
FINDINGS = ("established", "presumed", "insufficient_information", "smuggling_only", "not_established")
OUTCOMES = ("ok", "requires_justification", "violation")


@dataclass(frozen=True)
class Column:
    """One column of a monitoring table: its name, Arrow type and meaning (for docs and checks)."""

    name: str
    type: pa.DataType
    meaning: str
    dimension: bool = False  # may be used to disaggregate a published table


CASE_COLUMNS: tuple[Column, ...] = (
    Column("case_key", pa.int64(), "joins a case to its measures; meaningless outside one extraction"),
    Column("referred_on", pa.date32(), "the day the case was referred: places the case in a period"),
    Column("agency", pa.string(), "the holding agency's name", dimension=True),
    Column("region", pa.string(), "the region where the case is held (the agency's region)", dimension=True),
    Column("stage", pa.string(), "the case's stage now (STAGES)", dimension=True),
    Column("finding", pa.string(), "the latest screening finding (FINDINGS), null if not screened"),
    Column("presumed_on", pa.date32(), "the day the person was first treated as a presumed victim"),
    Column("identified_on", pa.date32(), "the day of the decision identifying the person as a victim"),
    Column("not_identified_on", pa.date32(), "the day of a negative identification decision"),
    Column("age_band", pa.string(), "CTDC age band at referral (AGE_BANDS), null if unknown", dimension=True),
    Column("child", pa.bool_(), "treated as a child (under 18, or presumed so while age is uncertain)", dimension=True),
    Column("sex", pa.string(), "female, male or other (SEXES); null if unknown", dimension=True),
    Column("nationality", pa.string(), "ISO 3166-1 alpha-2 code; null if unknown", dimension=True),
    Column("forms", pa.list_(pa.string()), "forms of exploitation (FORMS); a case may have several", dimension=True),
    Column("reflection_days", pa.int32(), "length of the recovery and reflection period granted, in days"),
)

# Every coded fact of the engine's measure types gets a column of its own, named `fact_<name>`
# and typed from the engine's field specification (a yes/no fact is a boolean, a number a double,
# a choice a string). A fact that does not apply to a measure's type, or was not recorded, is null.
# The free-text `justification` is never extracted.
_FACT_TYPES = {"bool": pa.bool_(), "number": pa.float64(), "choice": pa.string()}


def _fact_columns() -> tuple[Column, ...]:
    found: dict[str, Column] = {}
    for measure_type, (_description, fields) in TYPE_FIELDS.items():
        for spec in fields:
            arrow_type = _FACT_TYPES.get(spec.kind)
            if arrow_type is None:  # no other kinds are used by measure facts today; text never is extracted
                continue
            name = f"fact_{spec.name}"
            if name not in found:
                found[name] = Column(name, arrow_type, f"engine fact `{spec.name}` ({measure_type} and others)")
    return tuple(found[name] for name in sorted(found))


FACT_COLUMNS: tuple[Column, ...] = _fact_columns()

MEASURE_COLUMNS: tuple[Column, ...] = (
    Column("case_key", pa.int64(), "the case the measure concerns"),
    Column("measure_type", pa.string(), "the engine's measure type (rightsfirst.engine.measures)"),
    Column("decided_on", pa.date32(), "the day the measure was decided"),
    Column("agency", pa.string(), "the agency that recorded the measure", dimension=True),
    Column("outcome", pa.string(), "the engine's review when it was saved (OUTCOMES)"),
    Column("overridden", pa.bool_(), "saved over a violation by a coordinator's override"),
    Column("violated_rules", pa.list_(pa.string()), "ids of the review rules that found a violation"),
    Column("currency", pa.string(), "ISO 4217 currency of the amounts of a compensation measure; null otherwise"),
    *FACT_COLUMNS,
)

# The steps recorded for a person's entitlements (offered, accepted, refused, delivered ...).
SERVICE_STATUSES = ("pending", "offered", "accepted", "refused", "delivered", "not_applicable")
SERVICE_COLUMNS: tuple[Column, ...] = (
    Column("case_key", pa.int64(), "the case the step concerns"),
    Column("entitlement", pa.string(), "the engine's entitlement id"),
    Column("status", pa.string(), "the step (SERVICE_STATUSES)"),
    Column("on", pa.date32(), "the day of the step"),
    Column("agency", pa.string(), "the agency that recorded it", dimension=True),
)


def case_schema() -> pa.Schema:
    """The Arrow schema of the cases table."""
    return pa.schema([pa.field(column.name, column.type) for column in CASE_COLUMNS])


def measure_schema() -> pa.Schema:
    """The Arrow schema of the measures table."""
    return pa.schema([pa.field(column.name, column.type) for column in MEASURE_COLUMNS])


def service_schema() -> pa.Schema:
    """The Arrow schema of the services table."""
    return pa.schema([pa.field(column.name, column.type) for column in SERVICE_COLUMNS])


@dataclass(frozen=True)
class MonitoringRecords:
    """The three de-identified tables one extraction (or import, or generator run) produces.

    Each table must have exactly the schema above (`check` says what differs). `source` says
    where the records came from, for the report's notes ("application database", "synthetic").
    """

    cases: pa.Table
    measures: pa.Table
    services: pa.Table
    source: str = "application database"

    def check(self) -> None:
        """Raise ValueError naming the table and column if a table does not have its schema."""
        for name, table, schema in (
            ("cases", self.cases, case_schema()),
            ("measures", self.measures, measure_schema()),
            ("services", self.services, service_schema()),
        ):
            if table.schema.names != schema.names:
                missing = [n for n in schema.names if n not in table.schema.names]
                extra = [n for n in table.schema.names if n not in schema.names]
                raise ValueError(f"{name}: columns differ from the schema (missing {missing}, unexpected {extra})")
            for field in schema:
                actual = table.schema.field(field.name).type
                if actual != field.type:
                    raise ValueError(f"{name}.{field.name}: type {actual}, expected {field.type}")


def empty_records(source: str = "empty") -> MonitoringRecords:
    """Tables with the right schemas and no rows."""
    return MonitoringRecords(
        case_schema().empty_table(), measure_schema().empty_table(), service_schema().empty_table(), source
    )
