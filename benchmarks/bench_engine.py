"""Benchmark: `assess` throughput on one core, and framework load time.

Generates varied situations (adults and children, every element known, unknown or absent,
indicators, smuggling facts, cases with dates and proceedings, one or two measures each),
then times `assess` over all of them. The baseline, measured in the same run on the same
inputs, is validating the raw input into engine types, so the ratio survives a noisy machine.

    python benchmarks/bench_engine.py            # full run (numbers for docs/performance.md)
    python benchmarks/bench_engine.py --quick    # a short run, as CI does

Targets: at least 20,000 assessments per second on one core; framework load at most 200 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rightsfirst.engine import assess, case_from_data, measure_from_data, person_from_data, situation_from_data
from rightsfirst.engine.assessment import clear_caches
from rightsfirst.engine.inputs import ACTIONS, MEANS, PURPOSES
from rightsfirst.engine.measures import MEASURE_SPECS
from rightsfirst.framework.loader import default_framework, load_framework

AT = dt.date(2026, 3, 2)
TARGET_PER_SECOND = 20_000
TARGET_LOAD_MS = 200


def _maybe_list(rng: random.Random, values: tuple[str, ...]) -> list[str] | None:
    roll = rng.random()
    if roll < 0.2:
        return None  # not known
    if roll < 0.35:
        return []  # looked for, none found
    return rng.sample(values, rng.randint(1, 3))


def generate(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """`count` varied case documents (as raw data), reproducible from the seed."""
    rng = random.Random(seed)
    indicator_ids = list(default_framework().indicators.indicators)
    measure_types = list(MEASURE_SPECS)
    documents = []
    for _ in range(count):
        person: dict[str, Any] = {}
        roll = rng.random()
        if roll < 0.5:
            person["age"] = rng.randint(10, 60)
        elif roll < 0.7:
            person["stated_age"] = rng.randint(14, 30)
            low = rng.randint(13, 25)
            person["age_range"] = [low, low + rng.randint(1, 5)]
            person["indications_of_minority"] = rng.choice([[], ["appearance"], ["documents_doubtful"]])
        person["non_national"] = rng.random() < 0.7
        if rng.random() < 0.2:
            person["asylum_seeker"] = True
        situation: dict[str, Any] = {"person": person}
        for key, values in (("actions", ACTIONS), ("means", MEANS), ("purposes", PURPOSES)):
            chosen = _maybe_list(rng, values)
            if chosen is not None:
                situation[key] = chosen
        if rng.random() < 0.3:
            situation["indicators"] = rng.sample(indicator_ids, rng.randint(1, 6))
        if rng.random() < 0.2:
            situation["smuggling"] = {"facilitated_irregular_entry": True, "for_profit": rng.random() < 0.8}
        situation["consent_to_exploitation"] = rng.random() < 0.3
        referred = AT - dt.timedelta(days=rng.randint(1, 200))
        case: dict[str, Any] = {"referred_on": referred.isoformat()}
        if rng.random() < 0.6:
            case["reasonable_grounds_on"] = (referred + dt.timedelta(days=rng.randint(0, 10))).isoformat()
        if rng.random() < 0.3:
            case["proceedings"] = [{"kind": rng.choice(["criminal", "civil", "labour"]), "role": "witness"}]
        measures = []
        for _ in range(rng.randint(1, 2)):
            measure_type = rng.choice(measure_types)
            measure: dict[str, Any] = {"type": measure_type, "date": AT.isoformat()}
            for spec in MEASURE_SPECS[measure_type].fields:
                if spec.name == "date" or rng.random() < 0.4:
                    continue
                if spec.kind == "bool":
                    measure[spec.name] = rng.random() < 0.5
                elif spec.kind == "choice":
                    measure[spec.name] = rng.choice(spec.choices)
                elif spec.kind == "number":
                    measure[spec.name] = rng.randint(0, 60)
            measures.append(measure)
        documents.append({"situation": situation, "case": case, "measures": measures})
    return documents


def _parse(document: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    situation = situation_from_data(document["situation"])
    person = person_from_data(document["situation"]["person"])
    case = case_from_data(document["case"])
    measures = tuple(measure_from_data(item) for item in document["measures"])
    return situation, person, case, measures


def time_pass(seed: int, count: int) -> tuple[float, float]:
    """Seconds to validate, then to assess, one pass of `count` new cases.

    Each pass has its own cases (no result can carry over) and starts with cold caches; the
    cases are made just before the pass, as a process assessing incoming cases would hold them.
    """
    framework = default_framework()
    documents = generate(count, seed)
    start = time.perf_counter()
    parsed = [_parse(document) for document in documents]
    validation = time.perf_counter() - start
    del documents
    clear_caches()
    gc.collect()  # start every pass from the same clean heap; collection stays on while timing
    start = time.perf_counter()
    for situation, person, case, measures in parsed:
        assess(AT, situation, person, case, measures, framework)
    return validation, time.perf_counter() - start


def time_load(repeats: int) -> list[float]:
    """Milliseconds to load and validate the whole framework from its files (no cache)."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        load_framework()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def time_cold_process(repeats: int) -> list[float]:
    """Milliseconds for a fresh interpreter to import the engine and load the framework."""
    code = (
        "import time; t=time.perf_counter(); from rightsfirst.framework.loader import load_framework; "
        "import rightsfirst.engine; load_framework(); print((time.perf_counter()-t)*1000)"
    )
    timings = []
    for _ in range(repeats):
        output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        timings.append(float(output.stdout.strip()))
    return timings


def measure(count: int, repeats: int) -> dict[str, Any]:
    """Run every timing in this process and return the medians."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    timings = [time_pass(seed, count) for seed in range(repeats)]
    parse_times = [validation for validation, _ in timings]
    assess_times = [assessment for _, assessment in timings]
    load_times = time_load(repeats * 2)
    assess_median = statistics.median(assess_times)
    parse_median = statistics.median(parse_times)
    import rightsfirst.engine.screening as screening_module

    return {
        "compiled": not screening_module.__file__.endswith(".py"),
        "cases_per_pass": count,
        "passes": repeats,
        "assess_per_second": round(count / assess_median),
        "assess_microseconds": round(assess_median / count * 1e6, 1),
        "validation_per_second": round(count / parse_median),
        "assess_to_validation_time": round(assess_median / parse_median, 2),
        "framework_load_ms": round(statistics.median(load_times), 1),
    }


def _worker(count: int, repeats: int, pythonpath: str | None) -> dict[str, Any]:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath + os.pathsep + env.get("PYTHONPATH", "")
    command = [sys.executable, __file__, "--worker", "--count", str(count), "--repeats", str(repeats)]
    output = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    result: dict[str, Any] = json.loads(output.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (CI)")
    parser.add_argument("--count", type=int, help="cases per timed pass")
    parser.add_argument("--repeats", type=int, help="timed passes (each with its own cases)")
    parser.add_argument("--compiled", default="build/compiled", help="where the compiled build is installed")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    count = args.count or (2_000 if args.quick else 20_000)
    repeats = args.repeats or (3 if args.quick else 7)
    if args.worker:
        print(json.dumps(measure(count, repeats)))
        return 0

    results = {"pure": _worker(count, repeats, None)}
    compiled_dir = Path(args.compiled)
    if compiled_dir.is_dir():
        results["compiled"] = _worker(count, repeats, str(compiled_dir.resolve()))
        if not results["compiled"]["compiled"]:
            raise SystemExit(f"{compiled_dir} does not hold a compiled build (run `make compiled`)")
    cold = time_cold_process(3 if args.quick else 7)
    summary: dict[str, Any] = {
        "python": sys.version.split()[0],
        "targets": {"assess_per_second": TARGET_PER_SECOND, "framework_load_ms": TARGET_LOAD_MS},
        "runs": results,
        "fresh_process_import_and_load_ms": round(statistics.median(cold), 1),
    }
    if "compiled" in results:
        summary["compiled_speedup"] = round(
            results["compiled"]["assess_per_second"] / results["pure"]["assess_per_second"], 2
        )
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"{count:,} generated cases per pass, {repeats} passes of distinct cases, caches cleared before each")
    print(f"{'build':<10} {'assess/s (median)':>18} {'us/assess':>10} {'validation/s':>13} {'load ms':>8}")
    for name, run in results.items():
        print(
            f"{name:<10} {run['assess_per_second']:>18,} {run['assess_microseconds']:>10} "
            f"{run['validation_per_second']:>13,} {run['framework_load_ms']:>8}"
        )
    if "compiled" in summary:
        print(f"compiled / pure assess throughput: {summary['compiled_speedup']}x (same run)")
    best = max(run["assess_per_second"] for run in results.values())
    print(
        f"target {TARGET_PER_SECOND:,} assessments/s on one core: {'met' if best >= TARGET_PER_SECOND else 'NOT met'}"
    )
    load = results["pure"]["framework_load_ms"]
    print(f"target framework load <= {TARGET_LOAD_MS} ms: {'met' if load <= TARGET_LOAD_MS else 'NOT met'} ({load} ms)")
    print(f"fresh process, import engine and load framework: {summary['fresh_process_import_and_load_ms']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
