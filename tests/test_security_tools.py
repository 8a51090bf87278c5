"""The static security checks (tools/security.py, `make security`) fail when they should.

The checks themselves run in `make security`; these tests prove that each one can fail: a
`# nosec` without a reason, a bandit finding, a vulnerable pin, a vulnerability database that
cannot be reached, a secret not in the baseline or not audited, a key file git would take.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools import security
from tools.security import Audit

# AWS's own documentation example, not a key of anyone's; detect-secrets flags its shape.
FICTIONAL_AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"


# --- nosec and bandit --------------------------------------------------------------------------


def test_a_nosec_needs_test_ids_and_a_reason(tmp_path: Path) -> None:
    source = tmp_path / "module.py"
    source.write_text(
        "import random\n"
        "a = random.random()  # nosec\n"
        "b = random.random()  # nosec B311\n"
        "c = random.random()  # nosec B311  # shuffles fictional demo names only\n"
        "d = random.random()  # nosec B311, B105  # fictional demo data, reproducible\n"
        'e = "# nosec inside a string is no comment"\n'
    )
    problems = security.nosec_problems([source])
    assert [line.split(":")[1] for line in problems] == ["2", "3"]
    assert all("needs test ids and a reason" in line for line in problems)


def test_the_source_tree_explains_every_nosec() -> None:
    paths = sorted((security.ROOT / "src").rglob("*.py"))
    assert security.nosec_problems(paths) == []


def test_a_bandit_finding_fails_the_check_and_is_named() -> None:
    finding = {
        "filename": "./src/rightsfirst/web/example.py",
        "line_number": 12,
        "test_id": "B602",
        "issue_severity": "HIGH",
        "issue_text": "subprocess call with shell=True identified",
    }
    report = {"results": [finding], "errors": [], "metrics": {"_totals": {"loc": 100, "skipped_tests": 0}}}
    verdict = security.bandit_verdict(report, [])
    assert not verdict.passed
    assert verdict.details == [
        "src/rightsfirst/web/example.py:12 B602 (high): subprocess call with shell=True identified"
    ]
    clean = security.bandit_verdict({"results": [], "metrics": {"_totals": {"loc": 100}}}, [])
    assert clean.passed and "0 findings in 100 lines" in clean.summary
    unexplained = security.bandit_verdict({"results": []}, ["src/x.py:3: `# nosec` needs test ids and a reason"])
    assert not unexplained.passed


# --- pip-audit ---------------------------------------------------------------------------------


class FakeDatabase:
    """Answers as pip-audit would, per service; remembers what was audited."""

    def __init__(self, canary: dict[str, Audit], lock: Audit) -> None:
        self.canary = canary
        self.lock = lock
        self.calls: list[tuple[str, str]] = []

    def __call__(self, requirements: Path, service: str) -> Audit:
        text = requirements.read_text()
        self.calls.append((text.strip(), service))
        if security.CANARY_PIN in text:
            return self.canary[service]
        return self.lock


FLAGGED = Audit(audited=1, vulnerable=["django==3.2: PYSEC-2021-98 (CVE-2021-31542); fixed in 3.2.1"])
UNREACHABLE_PYPI = Audit(skipped=["django: Dependency not found on PyPI and could not be audited: django (3.2)"])
UNREACHABLE_OSV = Audit(error="ConnectionError: Failed to resolve 'api.osv.dev'")


def _lock(tmp_path: Path, *pins: str) -> Path:
    path = tmp_path / "requirements.lock"
    path.write_text("\n".join(pins) + "\n")
    return path


def test_a_known_vulnerable_pin_fails_the_audit(tmp_path: Path) -> None:
    vulnerable = Audit(audited=2, vulnerable=["pyyaml==5.3: PYSEC-2021-142 (CVE-2020-14343); fixed in 5.4"])
    database = FakeDatabase({"pypi": FLAGGED, "osv": FLAGGED}, vulnerable)
    verdict = security.check_pip_audit(database, optional=True, lock=_lock(tmp_path, "pyyaml==5.3", "six==1.16.0"))
    assert not verdict.passed
    assert verdict.details == vulnerable.vulnerable
    assert "1 known vulnerabilities" in verdict.summary
    assert database.calls[-1] == ("pyyaml==5.3\nsix==1.16.0", "pypi")


def test_an_unreachable_database_is_said_loudly_and_fails_unless_accepted(tmp_path: Path) -> None:
    database = FakeDatabase({"pypi": UNREACHABLE_PYPI, "osv": UNREACHABLE_OSV}, Audit(audited=99))
    lock = _lock(tmp_path, "django==5.2.19")
    refused = security.check_pip_audit(database, optional=False, lock=lock)
    assert not refused.passed
    assert "no vulnerability database could be reached" in refused.summary
    assert "were not audited" in refused.summary
    assert any("Failed to resolve" in line for line in refused.details)
    # pip-audit's own verdict on an unreachable PyPI ("no known vulnerabilities", exit 0) is never used.
    assert [service for _, service in database.calls] == ["pypi", "osv"]
    accepted = security.check_pip_audit(database, optional=True, lock=lock)
    assert accepted.passed
    assert accepted.show().startswith("security: pip-audit: NOT CHECKED (accepted: RIGHTSFIRST_VULN_DB_OPTIONAL=1)")


def test_the_first_database_that_flags_the_canary_audits_the_lock(tmp_path: Path) -> None:
    database = FakeDatabase({"pypi": UNREACHABLE_PYPI, "osv": FLAGGED}, Audit(audited=3))
    verdict = security.check_pip_audit(database, optional=False, lock=_lock(tmp_path, "a==1", "b==2", "c==3"))
    assert verdict.passed
    assert verdict.summary == "3 pins in requirements.lock audited (osv): no known vulnerabilities"
    assert database.calls[-1] == ("a==1\nb==2\nc==3", "osv")


def test_pins_the_database_could_not_audit_fail_the_check(tmp_path: Path) -> None:
    partly = Audit(audited=1, skipped=["private-thing: Dependency not found on PyPI and could not be audited"])
    database = FakeDatabase({"pypi": FLAGGED, "osv": FLAGGED}, partly)
    verdict = security.check_pip_audit(database, optional=True, lock=_lock(tmp_path, "private-thing==1.0"))
    assert not verdict.passed
    assert verdict.details == partly.skipped


def test_pip_audit_json_is_read_into_audited_skipped_and_vulnerable() -> None:
    report = {
        "dependencies": [
            {
                "name": "django",
                "version": "3.2",
                "vulns": [{"id": "PYSEC-1", "fix_versions": ["3.2.1"], "aliases": []}],
            },
            {"name": "six", "version": "1.16.0", "vulns": []},
            {"name": "gone", "skip_reason": "Dependency not found on PyPI and could not be audited: gone (1)"},
        ],
        "fixes": [],
    }
    audit = security.parse_audit(report)
    assert audit.audited == 2
    assert audit.vulnerable == ["django==3.2: PYSEC-1; fixed in 3.2.1"]
    assert audit.skipped == ["gone: Dependency not found on PyPI and could not be audited: gone (1)"]


# --- secrets and ignored files -----------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _baseline(repo: Path, *args: str) -> None:
    detect = Path(sys.executable).parent / "detect-secrets"
    done = subprocess.run([str(detect), "scan", *args], cwd=repo, check=True, capture_output=True, text=True)
    if not args:
        (repo / security.BASELINE).write_text(done.stdout)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose .gitignore keeps var/ out, and a baseline with nothing in it."""
    _git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("var/\n")
    (tmp_path / "notes.txt").write_text("nothing secret here\n")
    _git(tmp_path, "add", ".gitignore", "notes.txt")
    _baseline(tmp_path)
    _git(tmp_path, "add", security.BASELINE)
    return tmp_path


def test_a_clean_repository_passes(repo: Path) -> None:
    verdict = security.check_secrets(repo)
    assert verdict.passed, verdict.show()


def test_a_secret_not_in_the_baseline_fails_until_it_is_audited(repo: Path) -> None:
    (repo / "settings.txt").write_text(f"aws_access_key_id = {FICTIONAL_AWS_KEY}\n")
    _git(repo, "add", "settings.txt")
    verdict = security.check_secrets(repo)
    assert not verdict.passed
    assert any(line.startswith("not in the baseline: settings.txt:1") for line in verdict.details), verdict.show()

    _baseline(repo, "--baseline", security.BASELINE)  # now listed, but no one has looked at it
    verdict = security.check_secrets(repo)
    assert not verdict.passed
    assert any(line.startswith("not audited in .secrets.baseline: settings.txt:1") for line in verdict.details)

    data = json.loads((repo / security.BASELINE).read_text())
    for entry in data["results"]["settings.txt"]:
        entry["is_secret"] = True  # audited: a real secret
    (repo / security.BASELINE).write_text(json.dumps(data))
    verdict = security.check_secrets(repo)
    assert not verdict.passed
    assert any("audited as a real secret" in line for line in verdict.details)

    for entry in data["results"]["settings.txt"]:
        entry["is_secret"] = False  # audited: fictional
    (repo / security.BASELINE).write_text(json.dumps(data))
    assert security.check_secrets(repo).passed


def test_key_files_must_be_ignored_and_never_tracked(repo: Path) -> None:
    (repo / ".gitignore").write_text("")
    (repo / "old").mkdir()
    (repo / "old" / "master.key").write_text("fictional key material\n")
    _git(repo, "add", "old/master.key")
    verdict = security.check_secrets(repo)
    assert not verdict.passed
    assert "old/master.key is tracked by git: remove it (git rm --cached) and rotate it" in verdict.details
    assert "var/master.key is not ignored by git: add it to .gitignore" in verdict.details
    assert "var/audit.key is not ignored by git: add it to .gitignore" in verdict.details


def test_this_repository_keeps_its_key_files_out_of_git() -> None:
    tracked = security.tracked_files(security.ROOT)
    assert security.ignore_problems(tracked, security.ROOT) == []


# --- The lock file and the bill of materials ---------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def _locked_pins() -> dict[str, list[str]]:
    """Each pinned requirement of requirements.lock with its hashes."""
    pins: dict[str, list[str]] = {}
    current = None
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not line.startswith(" "):
            assert "==" in stripped, f"not an exact pin: {stripped}"
            current = stripped.split("==")[0].lower()
            pins[current] = []
        elif stripped.startswith("--hash=sha256:"):
            assert current is not None
            pins[current].append(stripped.removeprefix("--hash=sha256:").rstrip(" \\"))
    return pins


def test_every_pin_in_the_lock_has_a_sha256_hash() -> None:
    pins = _locked_pins()
    assert len(pins) > 100
    assert not [name for name, hashes in pins.items() if not hashes]
    assert all(len(value) == 64 for hashes in pins.values() for value in hashes)


def test_the_bill_of_materials_lists_every_locked_package(tmp_path: Path) -> None:
    output = tmp_path / "sbom.json"
    tool = Path(sys.executable).parent / "cyclonedx-py"
    subprocess.run(
        [str(tool), "requirements", "--pyproject", str(ROOT / "pyproject.toml"), "--of", "JSON", "-o", str(output)]
        + [str(ROOT / "requirements.lock")],
        check=True,
        capture_output=True,
    )
    bom = json.loads(output.read_text())
    assert bom["metadata"]["component"]["name"] == "rightsfirst"
    listed = {item["name"].lower().replace("_", "-"): item["version"] for item in bom["components"]}
    locked = _locked_pins()
    assert set(listed) == {name.replace("_", "-") for name in locked}
    assert all(item["purl"].startswith("pkg:pypi/") for item in bom["components"])
