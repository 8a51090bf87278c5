"""The static security checks behind `make security`, each with a short verdict.

    python tools/security.py                # every check; exit 1 if any failed
    python tools/security.py bandit         # one of: bandit, pip-audit, secrets

bandit     bandit over src/ (settings in pyproject.toml [tool.bandit]); every `# nosec` must
           name its test ids and give a reason: `# nosec B311  # why it is safe`.
pip-audit  the pins in requirements.lock against a vulnerability database. A canary pin that
           is known to be vulnerable is audited first: if it is not flagged, the database was not
           reached (pip-audit then reports "no known vulnerabilities" and exits 0 on its own),
           and this check says so and fails, unless RIGHTSFIRST_VULN_DB_OPTIONAL=1, when it
           passes with a warning that nothing was checked.
secrets    detect-secrets over the tracked files against .secrets.baseline: any finding not in
           the baseline fails, and so does a baseline entry not audited as a false positive;
           key and database files must be ignored by git and none may be tracked.

Refreshing the baseline after moving or adding a (fictional) flagged value:
    .venv/bin/detect-secrets scan --baseline .secrets.baseline   # keeps the audit marks
    .venv/bin/detect-secrets audit .secrets.baseline             # mark each new entry
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import tokenize
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SOURCE = "src"
LOCK = "requirements.lock"
BASELINE = ".secrets.baseline"

# A pin with published advisories that will never be withdrawn (Django 3.2.0: many, e.g.
# CVE-2021-31542). If the database does not flag it, nothing else it says means anything.
CANARY_PIN = "django==3.2"
# Tried in this order; the first one that flags the canary audits the lock file.
SERVICES = ("pypi", "osv")
OPTIONAL_ENV = "RIGHTSFIRST_VULN_DB_OPTIONAL"

# What must be kept out of git: the key files and the database the application writes.
MUST_BE_IGNORED = ("var/master.key", "var/audit.key", "var/django-secret.key", "var/rightsfirst.sqlite3")
NEVER_TRACKED = re.compile(r"(^|/)[^/]*\.(key|pem|sqlite3)$|(^|/)var/")

NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)$")
NOSEC_WITH_REASON = re.compile(r"\s+B\d{3}(\s*,\s*B\d{3})*\s+#\s*(?P<reason>\S.{9,})$")


@dataclass
class Verdict:
    """A check's outcome: passed or not, one summary line, and the findings to show."""

    name: str
    passed: bool
    summary: str
    details: list[str] = field(default_factory=list)
    # Said instead of "ok" / "FAILED" when neither is the truth (a check that could not run).
    label: str = ""

    def show(self) -> str:
        """The verdict as printed: one line, then the findings indented."""
        head = f"security: {self.name}: {self.label or ('ok' if self.passed else 'FAILED')}: {self.summary}"
        return "\n".join([head, *(f"    {line}" for line in self.details)])


# --- bandit ------------------------------------------------------------------------------------


def nosec_problems(paths: Iterable[Path]) -> list[str]:
    """Every `# nosec` comment that does not name its test ids and give a reason."""
    problems = []
    for path in paths:
        with path.open("rb") as handle:
            for token in tokenize.tokenize(handle.readline):
                if token.type != tokenize.COMMENT:
                    continue
                found = NOSEC.search(token.string)
                if found and not NOSEC_WITH_REASON.match(found.group("rest")):
                    where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{token.start[0]}"
                    problems.append(f"{where}: `{token.string.strip()}` needs test ids and a reason")
    return problems


def bandit_verdict(report: dict[str, Any], nosec: list[str]) -> Verdict:
    """Judge bandit's JSON report and the nosec comments together."""
    findings = [
        f"{item['filename'].removeprefix('./')}:{item['line_number']} {item['test_id']} "
        f"({item['issue_severity'].lower()}): {item['issue_text']}"
        for item in report.get("results", [])
    ]
    errors = [f"{item['filename']}: {item['reason']}" for item in report.get("errors", [])]
    totals = report.get("metrics", {}).get("_totals", {})
    summary = (
        f"{len(findings)} findings in {int(totals.get('loc', 0)):,} lines of {SOURCE}/; "
        f"{int(totals.get('skipped_tests', 0))} kept with a reason (# nosec); "
        f"B101 not checked in engine/ and framework/ (pyproject.toml)"
    )
    return Verdict("bandit", not (findings or errors or nosec), summary, findings + errors + nosec)


def check_bandit() -> Verdict:
    """bandit over src/, with pyproject.toml's settings."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "bandit.json"
        done = subprocess.run(
            [str(BIN / "bandit"), "-c", "pyproject.toml", "-r", SOURCE, "-q", "-f", "json", "-o", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if not out.exists():
            why = done.stderr.splitlines()[-5:]
            return Verdict("bandit", False, f"bandit did not run (exit {done.returncode})", why)
        report = json.loads(out.read_text())
    return bandit_verdict(report, nosec_problems(sorted((ROOT / SOURCE).rglob("*.py"))))


# --- pip-audit ---------------------------------------------------------------------------------


@dataclass
class Audit:
    """What one pip-audit run said: packages audited, skipped (with why) and vulnerable."""

    audited: int = 0
    skipped: list[str] = field(default_factory=list)
    vulnerable: list[str] = field(default_factory=list)
    error: str = ""


def parse_audit(report: dict[str, Any]) -> Audit:
    """Read pip-audit's JSON report (--format json)."""
    result = Audit()
    for dependency in report.get("dependencies", []):
        name = f"{dependency.get('name')}=={dependency.get('version', '?')}"
        if "skip_reason" in dependency:
            result.skipped.append(f"{dependency.get('name')}: {dependency['skip_reason']}")
            continue
        result.audited += 1
        for vuln in dependency.get("vulns", []):
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            aliases = ", ".join(vuln.get("aliases", []))
            result.vulnerable.append(f"{name}: {vuln.get('id')}{f' ({aliases})' if aliases else ''}; fixed in {fixes}")
    return result


def run_pip_audit(requirements: Path, service: str) -> Audit:
    """pip-audit on a fully pinned requirements file, without installing anything."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "audit.json"
        command = [str(BIN / "pip-audit"), "-r", str(requirements), "--no-deps", "--disable-pip"]
        command += ["--vulnerability-service", service, "--format", "json", "--progress-spinner", "off"]
        command += ["-o", str(out)]
        try:
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired:
            return Audit(error="no answer within 900 s")
        if not out.exists():
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            return Audit(error=lines[-1][:300] if lines else f"exit {done.returncode}")
        return parse_audit(json.loads(out.read_text()))


def pip_audit_verdict(canaries: dict[str, Audit], lock: Audit | None, service: str, optional: bool) -> Verdict:
    """Judge the canary runs (per service) and the lock file's audit (by the service that worked)."""
    if lock is None:
        reasons = [
            f"{name}: {audit.error or (audit.skipped[0] if audit.skipped else 'the canary was not flagged')}"
            for name, audit in canaries.items()
        ]
        summary = (
            f"no vulnerability database could be reached ({CANARY_PIN}, which has published "
            f"advisories, was not flagged by {' or '.join(canaries)}); the pins in {LOCK} were not audited"
        )
        if optional:
            return Verdict("pip-audit", True, summary, reasons, label=f"NOT CHECKED (accepted: {OPTIONAL_ENV}=1)")
        return Verdict("pip-audit", False, f"{summary}; set {OPTIONAL_ENV}=1 to accept that", reasons, "FAILED")
    if lock.error:
        return Verdict("pip-audit", False, f"the audit of {LOCK} failed", [lock.error])
    if lock.vulnerable:
        return Verdict(
            "pip-audit", False, f"{len(lock.vulnerable)} known vulnerabilities in {LOCK} ({service})", lock.vulnerable
        )
    if lock.skipped:
        summary = f"{len(lock.skipped)} of the pins in {LOCK} could not be audited ({service})"
        return Verdict("pip-audit", False, summary, lock.skipped)
    return Verdict("pip-audit", True, f"{lock.audited} pins in {LOCK} audited ({service}): no known vulnerabilities")


def check_pip_audit(
    run: Callable[[Path, str], Audit] = run_pip_audit, optional: bool | None = None, lock: Path = ROOT / LOCK
) -> Verdict:
    """Find a database that flags the canary, then audit the lock file with it."""
    if optional is None:
        optional = os.environ.get(OPTIONAL_ENV) == "1"
    canaries: dict[str, Audit] = {}
    with tempfile.TemporaryDirectory() as scratch:
        canary = Path(scratch) / "canary.txt"
        canary.write_text(CANARY_PIN + "\n")
        for service in SERVICES:
            canaries[service] = run(canary, service)
            if canaries[service].vulnerable:
                return pip_audit_verdict(canaries, run(lock, service), service, optional)
    return pip_audit_verdict(canaries, None, "", optional)


# --- secrets -----------------------------------------------------------------------------------


def tracked_files(root: Path) -> list[str]:
    """The files git tracks (what a clone gets)."""
    done = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, text=True, check=True)
    return [name for name in done.stdout.split("\0") if name]


def ignore_problems(tracked: Iterable[str], root: Path) -> list[str]:
    """Key and database files that git would take, or has taken."""
    problems = [
        f"{name} is tracked by git: remove it (git rm --cached) and rotate it"
        for name in tracked
        if NEVER_TRACKED.search(name)
    ]
    for name in MUST_BE_IGNORED:
        ignored = subprocess.run(["git", "check-ignore", "-q", name], cwd=root).returncode == 0
        if not ignored:
            problems.append(f"{name} is not ignored by git: add it to .gitignore")
    return problems


def secrets_verdict(new: list[str], unaudited: list[str], real: list[str], ignore: list[str], known: int) -> Verdict:
    """Judge the scan against the baseline, the baseline's audit marks and the ignore rules."""
    details = (
        [f"not in the baseline: {line}" for line in new]
        + [f"not audited in {BASELINE}: {line}" for line in unaudited]
        + [f"audited as a real secret: {line}: remove it from the history and rotate it" for line in real]
        + ignore
    )
    summary = (
        f"{len(new)} new findings; {known} in {BASELINE}, {known - len(unaudited) - len(real)} audited as "
        f"fictional or not secrets; key and database files ignored by git"
        if not ignore
        else f"{len(new)} new findings; key or database files not kept out of git"
    )
    return Verdict("secrets", not details, summary, details)


def check_secrets(root: Path = ROOT) -> Verdict:
    """detect-secrets over the tracked files against the committed baseline."""
    from detect_secrets.core import baseline

    def describe(filename: str, secret: Any) -> str:
        return f"{filename}:{secret.line_number} ({secret.type})"

    # detect-secrets names files relative to the working directory.
    with contextlib.chdir(root):
        # Loading the baseline also applies its plugins and filters to the scan below.
        known = baseline.load(baseline.load_from_file(BASELINE), BASELINE)
        tracked = tracked_files(root)
        found = baseline.create(*tracked)
        new = [describe(name, secret) for name, secret in found - known]
        entries = list(known)
        unaudited = [describe(name, secret) for name, secret in entries if secret.is_secret is None]
        real = [describe(name, secret) for name, secret in entries if secret.is_secret]
        return secrets_verdict(new, unaudited, real, ignore_problems(tracked, root), len(entries))


CHECKS: dict[str, Callable[[], Verdict]] = {
    "bandit": check_bandit,
    "pip-audit": check_pip_audit,
    "secrets": check_secrets,
}


def main(argv: list[str]) -> int:
    """Run the named checks (all by default); 1 if any failed, 2 for an unknown name."""
    names = argv or list(CHECKS)
    unknown = [name for name in names if name not in CHECKS]
    if unknown:
        print(f"unknown check {', '.join(unknown)}; the checks are: {', '.join(CHECKS)}", file=sys.stderr)
        return 2
    failed = []
    for name in names:
        verdict = CHECKS[name]()
        print(verdict.show(), flush=True)
        if not verdict.passed:
            failed.append(name)
    if failed:
        print(f"security: FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
