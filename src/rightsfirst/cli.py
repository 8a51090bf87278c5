"""The `rightsfirst` command: parse, call the engine, print, exit.

Exit codes: 0 done; 1 a review found what --fail-on names (or the framework check failed);
2 bad input (the message names the field and what is allowed); 3 an internal error (a bug).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from rightsfirst.engine import (
    Assessment,
    Document,
    InputError,
    assess,
    document_from_data,
    screen,
)
from rightsfirst.engine.citations import CITED
from rightsfirst.engine.results import OUTCOME_RANK
from rightsfirst.framework.check import run_check
from rightsfirst.framework.loader import load_framework
from rightsfirst.framework.model import Framework, ParameterNotDefined
from rightsfirst.framework.yamlsource import FrameworkError
from rightsfirst.textreport import assessment_report, entitlements_report, review_report, screening_report

EXIT_FAIL_ON = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3


class UsageError(Exception):
    """A problem with what the user asked for; printed without a traceback, exit 2."""


def _read_input(name: str) -> Any:
    if name == "-":
        text, label = sys.stdin.read(), "standard input"
    else:
        path = Path(name)
        try:
            text, label = path.read_text(encoding="utf-8"), name
        except FileNotFoundError:
            raise UsageError(f"{name}: no such file") from None
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"{name}: cannot read: {error}") from None
    try:
        # YAML is a superset of JSON, so one reader serves both; libyaml's loader when it is built in.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.load(text, Loader=loader)  # nosec B506  # loader is CSafeLoader or SafeLoader: plain data only
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        hint = ""
        if error.problem and "mapping values are not allowed" in error.problem:
            hint = " (text that contains ': ' must be put in quotes)"
        raise UsageError(f"{label}:{where}: not valid YAML or JSON: {error.problem}{hint}") from None
    except yaml.YAMLError as error:
        raise UsageError(f"{label}: not valid YAML or JSON: {error}") from None


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from None


def _load(args: argparse.Namespace, document: Document | None = None) -> Framework:
    profile = args.profile or (document.profile if document else None) or "international"
    return load_framework(profile)


def _print(data: Any, as_json: bool, text: str) -> None:
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(text)


def _document(args: argparse.Namespace) -> tuple[Document, Framework, dt.date]:
    document = document_from_data(_read_input(args.file))
    framework = _load(args, document)
    at = args.at or document.at or dt.date.today()
    return document, framework, at


def _fail_on(args: argparse.Namespace, outcomes: Sequence[str]) -> int:
    if args.fail_on is None:
        return 0
    threshold = OUTCOME_RANK[args.fail_on]
    return EXIT_FAIL_ON if any(OUTCOME_RANK[outcome] >= threshold for outcome in outcomes) else 0


def cmd_screen(args: argparse.Namespace) -> int:
    """Screen a situation against the definition."""
    document, framework, at = _document(args)
    if document.situation is None:
        raise UsageError(
            f"{args.file}: no situation to screen (give a situation, or a case document with `situation:`)"
        )
    result = screen(document.situation, at, framework)
    _print(result.to_json(), args.json, screening_report(result, framework))
    return 0


def cmd_entitlements(args: argparse.Namespace) -> int:
    """List entitlements for a person and case."""
    document, framework, at = _document(args)
    # Through assess, so that the person, the case and any recorded measures are read exactly as
    # `assess` reads them.
    result = _assess(document, framework, at).entitlements
    _print(result.to_json(), args.json, entitlements_report(result, framework))
    return 0


def _assess(document: Document, framework: Framework, at: dt.date) -> Assessment:
    return assess(at, document.situation, document.person, document.case, document.measures, framework)


def cmd_review(args: argparse.Namespace) -> int:
    """Review measures against the obligations."""
    document, framework, at = _document(args)
    if not document.measures:
        raise UsageError(f"{args.file}: no measures to review (give a measure with a `type`, a list, or `measures:`)")
    results = _assess(document, framework, at).reviews
    _print(
        [item.to_json() for item in results],
        args.json,
        "\n\n".join(review_report(item, framework) for item in results),
    )
    return _fail_on(args, [item.outcome for item in results])


def cmd_assess(args: argparse.Namespace) -> int:
    """Screen, list entitlements and review measures for one case."""
    document, framework, at = _document(args)
    result = _assess(document, framework, at)
    _print(result.to_json(), args.json, assessment_report(result, framework, document.title))
    return _fail_on(args, [item.outcome for item in result.reviews])


def cmd_framework(args: argparse.Namespace) -> int:
    """Show, search or check the framework."""
    framework = _load(args)
    if args.action == "check":
        lines, problems = run_check(framework, CITED)
        if args.json:
            print(
                json.dumps(
                    {
                        "version": framework.version,
                        "counts": [
                            {"what": line.label, "found": line.found, "expected": line.expected} for line in lines
                        ],
                        "problems": problems,
                    },
                    indent=2,
                )
            )
        else:
            print(f"Framework {framework.version}, profile {framework.profile.id}")
            for line in lines:
                expected = f" of {line.expected}" if line.expected is not None else ""
                mark = "ok " if line.ok else "BAD"
                print(f"  [{mark}] {line.label}: {line.found}{expected}")
            print("Check passed." if not problems else "Check FAILED:")
            for problem in problems:
                print(f"  - {problem}")
        return 0 if not problems else 1
    if args.action == "show":
        if not args.words:
            raise UsageError("framework show needs a provision id, e.g. RPG.P7")
        missing = [word for word in args.words if word not in framework.provisions]
        if missing:
            raise UsageError(f"no provision {', '.join(missing)} (try `rightsfirst framework search WORDS`)")
        provisions = [framework.provisions[word] for word in args.words]
        if args.json:
            print(json.dumps([_provision_json(item) for item in provisions], indent=2, ensure_ascii=False))
        else:
            print("\n\n".join(_provision_text(item) for item in provisions))
        return 0
    if args.action == "search":
        words = [word.lower() for word in args.words]
        if not words:
            raise UsageError("framework search needs words to look for")
        hits = [
            item
            for item in framework.provisions.values()
            if all(word in f"{item.id} {item.title} {item.summary} {' '.join(item.tags)}".lower() for word in words)
        ]
        if args.json:
            print(json.dumps([_provision_json(item) for item in hits], indent=2, ensure_ascii=False))
        else:
            for item in hits:
                print(f"{item.id:<36} {item.title}")
            print(f"{len(hits)} provision(s)")
        return 0
    if args.action == "rules":
        from rightsfirst.engine.catalogue import rules_markdown

        print(rules_markdown(framework), end="")
        return 0
    if args.action == "indicators":
        catalogue = framework.indicators
        for dimension in catalogue.dimensions.values():
            print(f"{dimension.id} {dimension.title} (bears on {dimension.bears_on})")
            for indicator in catalogue.indicators.values():
                if indicator.dimension == dimension.id:
                    grades = " ".join(f"{key}:{value}" for key, value in indicator.grades.items())
                    print(f"  {indicator.id:<32} {grades:<18} {indicator.label}")
        return 0
    if args.action == "parameters":
        at = args.at or dt.date.today()
        for parameter in framework.profile.parameters.values():
            try:
                value = parameter.value_at(at)
                print(
                    f"{parameter.name:<38} {value.value} {parameter.unit}  (from {value.valid_from}; {value.reference})"
                )
            except LookupError as error:
                print(f"{parameter.name:<38} not defined: {error}")
        return 0
    raise AssertionError(args.action)


def _provision_json(provision: Any) -> dict[str, Any]:
    return {
        "id": provision.id,
        "instrument": provision.instrument,
        "paragraph": provision.paragraph,
        "title": provision.title,
        "summary": provision.summary,
        "kind": provision.kind,
        "duty_bearer": provision.duty_bearer,
        "protects": list(provision.protects),
        "tags": list(provision.tags),
        "related": list(provision.related),
    }


def _provision_text(provision: Any) -> str:
    return "\n".join(
        [
            f"{provision.id} - {provision.title}",
            f"  {provision.paragraph} ({provision.instrument})",
            f"  kind: {provision.kind}; duty bearer: {provision.duty_bearer}; "
            f"protects: {', '.join(provision.protects)}",
            f"  {provision.summary}",
            f"  tags: {', '.join(provision.tags)}",
            f"  related: {', '.join(provision.related) or '-'}",
        ]
    )


def cmd_schema(args: argparse.Namespace) -> int:
    """Print or write the JSON Schemas."""
    from rightsfirst.engine.schema import all_schemas

    schemas = all_schemas()
    if args.write:
        directory = Path(args.write)
        directory.mkdir(parents=True, exist_ok=True)
        for name, schema in schemas.items():
            (directory / name).write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"wrote {directory / name}")
    else:
        print(json.dumps(schemas, indent=2, ensure_ascii=False))
    return 0


def cmd_ctdc(args: argparse.Namespace) -> int:
    """Read a CTDC Victim-Perpetrator file, checking every row, and print its counts."""
    from rightsfirst.monitoring.ctdc import CtdcError, read_ctdc_file, summarise

    progress = args.progress if args.progress is not None else sys.stderr.isatty()
    try:
        table = read_ctdc_file(args.file, progress=progress)
    except FileNotFoundError:
        raise UsageError(f"{args.file}: no such file") from None
    except CtdcError as error:
        raise UsageError(f"nothing was read, the file has problems:\n{error.report()}") from None
    summary = summarise(table)
    _print(summary.to_json(), args.json, f"CTDC Victim-Perpetrator file {args.file}\n{summary.text()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the tests)."""
    parser = argparse.ArgumentParser(
        prog="rightsfirst",
        description="Apply the human-rights framework on trafficking to the facts of one case.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def engine_command(name: str, help_text: str, handler: Any, fail_on: bool = False) -> None:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument("file", help="YAML or JSON file, or - for standard input")
        command.add_argument("--json", action="store_true", help="print JSON for machines")
        command.add_argument(
            "--at", type=_date, help="assess at this date (YYYY-MM-DD); default: the file's `at`, else today"
        )
        command.add_argument("--profile", help="jurisdiction profile name or YAML file (default: international)")
        if fail_on:
            command.add_argument(
                "--fail-on",
                choices=("violation", "requires_justification"),
                help="exit 1 when a review reaches this outcome",
            )
        command.set_defaults(handler=handler, fail_on=None)

    engine_command("screen", "Screen a situation against the international definition.", cmd_screen)
    engine_command("entitlements", "List what the person is entitled to, and by when.", cmd_entitlements)
    engine_command("review", "Review measures against the obligations.", cmd_review, fail_on=True)
    engine_command("assess", "Screen, list entitlements and review measures for one case.", cmd_assess, fail_on=True)

    framework = sub.add_parser("framework", help="Show, search or check the framework data.")
    framework.add_argument("action", choices=("show", "search", "check", "indicators", "parameters", "rules"))
    framework.add_argument("words", nargs="*", help="provision ids (show) or words (search)")
    framework.add_argument("--json", action="store_true")
    framework.add_argument("--profile")
    framework.add_argument("--at", type=_date)
    framework.set_defaults(handler=cmd_framework)

    schema = sub.add_parser("schema", help="Print (or write) the JSON Schemas of inputs and results.")
    schema.add_argument("--write", metavar="DIR", help="write one file per schema into DIR")
    schema.set_defaults(handler=cmd_schema)

    ctdc = sub.add_parser(
        "ctdc",
        help="`rightsfirst ctdc summary FILE`: check a CTDC Victim-Perpetrator file and print its counts.",
    )
    ctdc.add_argument("action", choices=("summary",))
    ctdc.add_argument("file", help="the CSV file (16 columns, as CTDC publishes it)")
    ctdc.add_argument("--json", action="store_true", help="print JSON for machines")
    ctdc.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar on standard error (default: when it is a terminal)",
    )
    ctdc.set_defaults(handler=cmd_ctdc)

    sub.add_parser(
        "audit",
        help="`rightsfirst audit verify [--anchors FILE]`: check the audit log's hash chain; "
        "`rightsfirst audit anchor [--append FILE]`: a signed anchor of its newest entry.",
    )
    sub.add_parser(
        "backup",
        help="`rightsfirst backup create|verify|restore FILE`: encrypted, verifiable backups of the database.",
        add_help=False,
    )
    sub.add_parser(
        "report",
        help="`rightsfirst report --from DATE --to DATE --format html|csv|json [-o FILE]`: the national report "
        "of the human-rights indicators, protected as published (see `rightsfirst report --help`).",
        add_help=False,
    )
    sub.add_parser("restore", help="`rightsfirst restore FILE`: the same as `rightsfirst backup restore FILE`.")
    sub.add_parser(
        "keys",
        help="`rightsfirst keys status`: key ids in use; `rightsfirst keys rotate [--new-master-key] "
        "[--rebuild-index] ...`: rotate keys (see `rightsfirst keys rotate --help`).",
    )
    sub.add_parser(
        "manage",
        help="Run a command of the case-management application (migrate, runserver, seed_demo, ...).",
        add_help=False,
    )
    return parser


def run_django(argv: Sequence[str]) -> int:
    """`rightsfirst manage ...`: the case-management application's commands (migrate, runserver, seed_demo ...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rightsfirst.web.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["rightsfirst manage", *argv])
    except ImproperlyConfigured as error:  # a bad setting from the environment: say which, no traceback
        print(f"rightsfirst: configuration error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["manage"]:
        return run_django(arguments[1:])
    if arguments[:2] == ["audit", "verify"]:
        return run_django(["audit_verify", *arguments[2:]])
    if arguments[:2] == ["audit", "anchor"]:
        return run_django(["audit_anchor", *arguments[2:]])
    if arguments[:1] == ["report"]:
        return run_django(arguments)
    if arguments[:1] == ["backup"]:
        return run_django(arguments)
    if arguments[:1] == ["restore"]:
        return run_django(["backup", *arguments])
    if arguments[:2] == ["keys", "status"]:
        return run_django(["rotate_keys", "--status", *arguments[2:]])
    if arguments[:2] == ["keys", "rotate"]:
        return run_django(["rotate_keys", *arguments[2:]])
    args = build_parser().parse_args(arguments)
    try:
        code: int = args.handler(args)
        return code
    except InputError as error:
        print(f"rightsfirst: bad input: {error}", file=sys.stderr)
    except (UsageError, FrameworkError) as error:
        print(f"rightsfirst: {error}", file=sys.stderr)
    except ParameterNotDefined as error:  # the profile has no value at the requested date
        print(f"rightsfirst: {error}", file=sys.stderr)
    except BrokenPipeError:  # the reader went away (e.g. `| head`): nothing more to say
        return 0
    except Exception as error:
        if os.environ.get("RIGHTSFIRST_DEBUG"):
            raise
        print(
            f"rightsfirst: internal error ({type(error).__name__}: {error}). This is a bug, not your input; "
            "run again with RIGHTSFIRST_DEBUG=1 for details and report it.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
