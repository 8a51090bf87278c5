"""Optional compiled build of the rights engine.

`RIGHTSFIRST_COMPILE=1 pip install .` compiles the engine's hot modules to C with mypyc
(from mypy; needs a C compiler and the Python headers), for about twice the throughput.
Without the variable the package is pure Python and behaves identically; the test suite is
run against both builds.
"""

import os

from setuptools import setup

COMPILED_MODULES = [
    "src/rightsfirst/engine/assessment.py",
    "src/rightsfirst/framework/model.py",
    "src/rightsfirst/engine/dates.py",
    "src/rightsfirst/engine/entitlement_rules/declarations.py",
    "src/rightsfirst/engine/entitlement_rules/evaluation.py",
    "src/rightsfirst/engine/indicators.py",
    "src/rightsfirst/engine/inputs.py",
    "src/rightsfirst/engine/measures.py",
    "src/rightsfirst/engine/results.py",
    "src/rightsfirst/engine/review_rules/children.py",
    "src/rightsfirst/engine/review_rules/conclusion.py",
    "src/rightsfirst/engine/review_rules/detention.py",
    "src/rightsfirst/engine/review_rules/disclosure.py",
    "src/rightsfirst/engine/review_rules/identification.py",
    "src/rightsfirst/engine/review_rules/justice.py",
    "src/rightsfirst/engine/review_rules/movement.py",
    "src/rightsfirst/engine/review_rules/prosecution.py",
    "src/rightsfirst/engine/review_rules/registry.py",
    "src/rightsfirst/engine/review_rules/residence.py",
    "src/rightsfirst/engine/review_rules/returns.py",
    "src/rightsfirst/engine/review_rules/support.py",
    "src/rightsfirst/engine/screening.py",
]

ext_modules = []
if os.environ.get("RIGHTSFIRST_COMPILE") == "1":
    from mypyc.build import mypycify

    ext_modules = mypycify(COMPILED_MODULES, opt_level="3")

setup(ext_modules=ext_modules)
