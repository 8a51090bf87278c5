"""Load and validate the framework: provisions, a jurisdiction profile and the indicators.

Everything is checked at load (shape, vocabularies, unique ids, links between provisions,
references on every parameter value, dates in order), and any problem is reported with the
file and line. Citations used by the engine's rules are checked by `check_citations`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path

from rightsfirst.framework.model import (
    DUTY_BEARERS,
    INSTRUMENTS,
    KINDS,
    PROTECTED_GROUPS,
    TAGS,
    Dimension,
    Framework,
    Indicator,
    IndicatorCatalogue,
    Parameter,
    ParameterValue,
    Profile,
    Provision,
)
from rightsfirst.framework.yamlsource import FrameworkError, Located, as_date, read_yaml

FRAMEWORK_VERSION = "1.0.0"
DEFAULT_PROFILE = "international"

_ID_PATTERNS: Mapping[str, re.Pattern[str]] = {
    "TIP": re.compile(r"^TIP\.3[a-d]$"),
    "RPG": re.compile(r"^RPG\.(P([1-9]|1[0-7])|G([1-9]|1[01])(\.[1-9][0-9]?)?)$"),
    "HRS": re.compile(r"^HRS\.(DEF\.[a-z-]+|([1-9]|[12][0-9]))$"),
    "FS36": re.compile(r"^FS36\.(I|II|III|IV)\.[A-H]\.[a-z0-9-]+$"),
}
_PROVISION_KEYS = frozenset(
    {"id", "paragraph", "title", "summary", "kind", "duty_bearer", "protects", "tags", "related"}
)
_GRADES = frozenset({"S", "M", "W"})


def _package_dir() -> Path:
    return Path(str(resources.files("rightsfirst.framework")))


def _display(path: Path) -> str:
    """Show package files by their path inside the package, other files as given."""
    base = _package_dir()
    try:
        return "framework/" + str(path.relative_to(base))
    except ValueError:
        return str(path)


def _mapping(node: Located, file: str, what: str) -> dict[str, Located]:
    if not isinstance(node.value, dict):
        raise FrameworkError(file, node.line, f"{what} must be a mapping")
    return node.value


def _list(node: Located, file: str, what: str) -> list[Located]:
    if not isinstance(node.value, list):
        raise FrameworkError(file, node.line, f"{what} must be a list")
    return node.value


def _text(node: Located, file: str, what: str) -> str:
    if not isinstance(node.value, str) or not node.value.strip():
        raise FrameworkError(file, node.line, f"{what} must be non-empty text")
    return " ".join(node.value.split())


def _exact_keys(
    mapping: Mapping[str, Located],
    required: Iterable[str],
    optional: Iterable[str],
    file: str,
    line: int,
    what: str,
) -> None:
    required = set(required)
    allowed = required | set(optional)
    for key, value in mapping.items():
        if key not in allowed:
            raise FrameworkError(
                file, value.line, f"{what}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})"
            )
    missing = sorted(required - set(mapping))
    if missing:
        raise FrameworkError(file, line, f"{what}: missing {', '.join(missing)}")


def _word_list(node: Located, file: str, what: str, allowed: frozenset[str] | None) -> tuple[str, ...]:
    items = []
    for item in _list(node, file, what):
        if not isinstance(item.value, str):
            raise FrameworkError(file, item.line, f"{what}: {item.value!r} is not text")
        if allowed is not None and item.value not in allowed:
            raise FrameworkError(
                file,
                item.line,
                f"{what}: {item.value!r} is not allowed (allowed: {', '.join(sorted(allowed))})",
            )
        items.append(item.value)
    return tuple(items)


def _load_provision_file(path: Path) -> list[Provision]:
    file = _display(path)
    root = _mapping(read_yaml(path, file), file, "the file")
    _exact_keys(root, {"instrument", "provisions"}, (), file, 1, "the file")
    instrument = root["instrument"].value
    if instrument not in INSTRUMENTS:
        raise FrameworkError(
            file,
            root["instrument"].line,
            f"instrument {instrument!r} is unknown (allowed: {', '.join(INSTRUMENTS)})",
        )
    pattern = _ID_PATTERNS[instrument]
    provisions = []
    for node in _list(root["provisions"], file, "provisions"):
        entry = _mapping(node, file, "a provision")
        _exact_keys(entry, _PROVISION_KEYS, (), file, node.line, "provision")
        provision_id = _text(entry["id"], file, "id")
        if not pattern.match(provision_id):
            raise FrameworkError(
                file, entry["id"].line, f"id {provision_id!r} does not fit the {instrument} id pattern"
            )
        kind = _text(entry["kind"], file, "kind")
        if kind not in KINDS:
            raise FrameworkError(file, entry["kind"].line, f"kind {kind!r} is not one of {', '.join(sorted(KINDS))}")
        duty_bearer = _text(entry["duty_bearer"], file, "duty_bearer")
        if duty_bearer not in DUTY_BEARERS:
            raise FrameworkError(
                file,
                entry["duty_bearer"].line,
                f"duty_bearer {duty_bearer!r} is not one of {', '.join(sorted(DUTY_BEARERS))}",
            )
        protects = _word_list(entry["protects"], file, "protects", PROTECTED_GROUPS)
        tags = _word_list(entry["tags"], file, "tags", TAGS)
        if not protects or not tags:
            raise FrameworkError(file, node.line, f"{provision_id}: protects and tags must not be empty")
        provisions.append(
            Provision(
                id=provision_id,
                instrument=instrument,
                paragraph=_text(entry["paragraph"], file, "paragraph"),
                title=_text(entry["title"], file, "title"),
                summary=_text(entry["summary"], file, "summary"),
                kind=kind,
                duty_bearer=duty_bearer,
                protects=protects,
                tags=tags,
                related=_word_list(entry["related"], file, "related", None),
                file=file,
                line=node.line,
                related_line=entry["related"].line,
            )
        )
    return provisions


def load_provisions(directory: Path | None = None) -> dict[str, Provision]:
    """Read every provision file; ids must be unique and `related` links must resolve."""
    directory = directory or _package_dir() / "provisions"
    provisions: dict[str, Provision] = {}
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise FrameworkError(str(directory), None, "no provision files found")
    for path in paths:
        for provision in _load_provision_file(path):
            if provision.id in provisions:
                first = provisions[provision.id]
                raise FrameworkError(
                    provision.file,
                    provision.line,
                    f"duplicate id {provision.id} (first defined at {first.file}:{first.line})",
                )
            provisions[provision.id] = provision
    for provision in provisions.values():
        for related in provision.related:
            if related not in provisions:
                raise FrameworkError(
                    provision.file,
                    provision.related_line,
                    f"{provision.id}: related provision {related!r} does not exist",
                )
    return provisions


def _load_parameter(
    name: str, node: Located, file: str, profile_id: str, provisions: Mapping[str, Provision]
) -> Parameter:
    entry = _mapping(node, file, f"parameter {name}")
    _exact_keys(entry, {"values"}, {"description", "unit"}, file, node.line, f"parameter {name}")
    values: list[ParameterValue] = []
    for value_node in _list(entry["values"], file, f"{name}.values"):
        item = _mapping(value_node, file, f"a value of {name}")
        _exact_keys(
            item,
            {"valid_from", "value", "reference"},
            {"citations", "note"},
            file,
            value_node.line,
            f"a value of {name}",
        )
        reference = item["reference"]
        if not isinstance(reference.value, str) or not reference.value.strip():
            raise FrameworkError(file, reference.line, f"{name}: every value needs a reference")
        citations = _word_list(item["citations"], file, "citations", None) if "citations" in item else ()
        for citation in citations:
            if citation not in provisions:
                raise FrameworkError(
                    file, item["citations"].line, f"{name}: cited provision {citation!r} does not exist"
                )
        raw = item["value"].value
        if raw is not None and not isinstance(raw, (int, float, str, bool)):
            raise FrameworkError(file, item["value"].line, f"{name}: value must be a number, text or null")
        values.append(
            ParameterValue(
                valid_from=as_date(item["valid_from"], file, f"{name}.valid_from"),
                value=raw,
                reference=" ".join(reference.value.split()),
                citations=citations,
                note=" ".join(str(item["note"].value).split()) if "note" in item else "",
            )
        )
    if not values:
        raise FrameworkError(file, node.line, f"parameter {name} has no values")
    nodes = entry["values"].value
    for index in range(1, len(values)):
        previous, current, value_node = values[index - 1], values[index], nodes[index]
        if current.valid_from <= previous.valid_from:
            raise FrameworkError(
                file,
                value_node.value["valid_from"].line,
                f"parameter {name}: valid_from dates must increase ({current.valid_from.isoformat()} "
                f"does not come after {previous.valid_from.isoformat()})",
            )
    unit = str(entry["unit"].value) if "unit" in entry else ""
    description = _text(entry["description"], file, "description") if "description" in entry else ""
    return Parameter(name, description, unit, tuple(values), profile_id)


def _profile_path(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} or candidate.exists():
        return candidate
    return _package_dir() / "profiles" / f"{name_or_path}.yaml"


def load_profile(name_or_path: str, provisions: Mapping[str, Provision], _seen: tuple[str, ...] = ()) -> Profile:
    """Load a profile by name (shipped) or path; `extends` overlays it on its parent."""
    path = _profile_path(name_or_path)
    file = _display(path)
    root_node = read_yaml(path, file)
    root = _mapping(root_node, file, "the profile")
    _exact_keys(root, {"id", "title", "parameters"}, {"description", "extends"}, file, root_node.line, "the profile")
    profile_id = _text(root["id"], file, "id")
    if profile_id in _seen:
        raise FrameworkError(file, root["id"].line, f"profile {profile_id!r} extends itself")
    parameters: dict[str, Parameter] = {}
    extends = str(root["extends"].value) if "extends" in root else None
    if extends is not None:
        parent_name = extends
        if not (_package_dir() / "profiles" / f"{extends}.yaml").exists():
            parent_name = str(path.parent / extends)
        parent = load_profile(parent_name, provisions, (*_seen, profile_id))
        parameters.update(parent.parameters)
    own = _mapping(root["parameters"], file, "parameters")
    for name, node in own.items():
        if extends is not None and name not in parameters:
            raise FrameworkError(
                file,
                node.line,
                f"parameter {name!r} is not defined by the profile it extends ({extends}); "
                f"known: {', '.join(sorted(parameters))}",
            )
        parameters[name] = _load_parameter(name, node, file, profile_id, provisions)
    description = _text(root["description"], file, "description") if "description" in root else ""
    return Profile(profile_id, _text(root["title"], file, "title"), description, extends, parameters)


def load_indicators(path: Path | None = None) -> IndicatorCatalogue:
    """Read the indicator catalogue; grades are per (indicator, set)."""
    path = path or _package_dir() / "indicators.yaml"
    file = _display(path)
    root = _mapping(read_yaml(path, file), file, "the catalogue")
    _exact_keys(root, {"source", "sets", "dimensions", "indicators"}, (), file, 1, "the catalogue")
    sets: dict[str, str] = {}
    verified: set[str] = set()
    for set_id, node in _mapping(root["sets"], file, "sets").items():
        entry = _mapping(node, file, f"set {set_id}")
        _exact_keys(entry, {"title"}, {"grades_verified"}, file, node.line, f"set {set_id}")
        sets[set_id] = _text(entry["title"], file, "title")
        if entry.get("grades_verified") and entry["grades_verified"].value is True:
            verified.add(set_id)
    dimensions: dict[str, Dimension] = {}
    for node in _list(root["dimensions"], file, "dimensions"):
        entry = _mapping(node, file, "a dimension")
        _exact_keys(entry, {"id", "title", "phase", "bears_on", "means", "purposes"}, (), file, node.line, "dimension")
        dimension = Dimension(
            id=_text(entry["id"], file, "id"),
            title=_text(entry["title"], file, "title"),
            phase=_text(entry["phase"], file, "phase"),
            bears_on=_text(entry["bears_on"], file, "bears_on"),
            means=_word_list(entry["means"], file, "means", None),
            purposes=_word_list(entry["purposes"], file, "purposes", None),
        )
        dimensions[dimension.id] = dimension
    indicators: dict[str, Indicator] = {}
    for node in _list(root["indicators"], file, "indicators"):
        entry = _mapping(node, file, "an indicator")
        _exact_keys(entry, {"id", "dimension", "label", "grades", "forced_labour"}, (), file, node.line, "indicator")
        indicator_id = _text(entry["id"], file, "id")
        if indicator_id in indicators:
            raise FrameworkError(file, node.line, f"duplicate indicator id {indicator_id}")
        dimension_id = _text(entry["dimension"], file, "dimension")
        if dimension_id not in dimensions:
            raise FrameworkError(file, entry["dimension"].line, f"unknown dimension {dimension_id!r}")
        grades: dict[str, str] = {}
        for set_id, grade in _mapping(entry["grades"], file, "grades").items():
            if set_id not in sets:
                raise FrameworkError(file, grade.line, f"{indicator_id}: unknown set {set_id!r}")
            if grade.value not in _GRADES:
                raise FrameworkError(file, grade.line, f"{indicator_id}: grade must be S, M or W")
            grades[set_id] = grade.value
        forced_labour = entry["forced_labour"].value
        indicators[indicator_id] = Indicator(
            indicator_id,
            dimension_id,
            _text(entry["label"], file, "label"),
            grades,
            str(forced_labour) if forced_labour is not None else None,
        )
    return IndicatorCatalogue(
        source=_text(root["source"], file, "source"),
        sets=sets,
        verified_sets=frozenset(verified),
        dimensions=dimensions,
        indicators=indicators,
    )


def _content_version(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"{FRAMEWORK_VERSION}+{digest.hexdigest()[:12]}"


def load_framework(profile: str = DEFAULT_PROFILE) -> Framework:
    """Load and validate the whole framework with the named (or path-given) profile."""
    provisions = load_provisions()
    loaded_profile = load_profile(profile, provisions)
    indicators = load_indicators()
    base = _package_dir()
    files = sorted(base.glob("provisions/*.yaml")) + [base / "indicators.yaml"]
    profile_files = [_profile_path(profile)]
    return Framework(
        version=_content_version([*files, *profile_files]),
        provisions=provisions,
        profile=loaded_profile,
        indicators=indicators,
        files=tuple(_display(path) for path in [*files, *profile_files]),
    )


@lru_cache(maxsize=8)
def default_framework(profile: str = DEFAULT_PROFILE) -> Framework:
    """The framework, loaded once per process and profile."""
    return load_framework(profile)


def check_citations(framework: Framework, cited: Mapping[str, Iterable[str]]) -> list[str]:
    """Problems with citations used by rules: `cited` maps a rule's name to its ids."""
    problems = []
    for rule, ids in sorted(cited.items()):
        for provision_id in ids:
            if provision_id not in framework.provisions:
                problems.append(f"rule {rule} cites {provision_id!r}, which does not exist")
    return problems
