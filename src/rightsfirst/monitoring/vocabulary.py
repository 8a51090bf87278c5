"""The engine's words the indicator definitions are written in, taken from the engine itself.

Both computations (compute.py, baseline.py) read them from here, so an indicator means what
the engine means: a status offence is one the engine's status-offence rule protects against,
and the guardian target is the profile's parameter, never a number written here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from rightsfirst.engine.dates import add_period
from rightsfirst.engine.review_rules.prosecution import IMMIGRATION_OFFENCES, SEX_WORK_OFFENCES
from rightsfirst.framework.model import Framework, ParameterNotDefined

# Offences the engine's `prosecution.status_offence` rule protects presumed and identified
# victims from being prosecuted or penalised for (RPG.P7, RPG.G2.5, HRS.6).
STATUS_OFFENCES: tuple[str, ...] = tuple(sorted(IMMIGRATION_OFFENCES | SEX_WORK_OFFENCES))

# Decisions that may not be made to depend on cooperation (RPG.P8), and the fact that says so.
COOPERATION_CONDITIONS: dict[str, tuple[str, ...]] = {
    "support_offer": ("conditional_on_cooperation", "conditional_on_testimony"),
    "reflection_period": ("conditional_on_cooperation",),
    "residence_permit": ("conditional_on_cooperation",),
    "identification_decision": ("depends_on_cooperation",),
}

GUARDIAN_TARGET = "guardian_appointment_target_days"


def guardian_due_dates(framework: Framework, referral_days: Iterable[dt.date]) -> dict[dt.date, dt.date]:
    """For each referral day, the last day a guardian appointment meets the profile's target.

    The target in force on the referral day is added in the parameter's unit with the engine's
    own date arithmetic. A day before the parameter's first value (or after it ended) has no
    target and is left out: no appointment can be said to have met it.
    """
    parameter = framework.profile.parameter(GUARDIAN_TARGET)
    due: dict[dt.date, dt.date] = {}
    for day in set(referral_days):
        try:
            amount = int(parameter.at(day))
        except ParameterNotDefined:
            continue
        due[day] = add_period(day, amount, parameter.unit)
    return due
