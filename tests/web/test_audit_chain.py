"""The audit log is tamper-evident: verify names a modified, deleted, inserted or reordered entry."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from rightsfirst.web import audit
from rightsfirst.web.models import AuditEvent
from tests.web.conftest import ADULT_SITUATION, audit_guard_lifted


@pytest.fixture
def chain(make_case, users):
    make_case(ADULT_SITUATION)
    for number in range(3):
        audit.record(users["case_worker"], "case.search", target=f"query {number}")
    entries = list(AuditEvent.objects.order_by("sequence"))
    assert len(entries) >= 5
    assert [entry.sequence for entry in entries] == list(range(1, len(entries) + 1))
    return entries


def _raw_update(pk, **values):
    # What someone who owns the database could do, going around the application and past the
    # append-only triggers.
    from django.db import connection

    columns = ", ".join(f"{name} = %s" for name in values)
    with audit_guard_lifted(connection), connection.cursor() as cursor:
        cursor.execute(f"UPDATE casework_auditevent SET {columns} WHERE id = %s", [*values.values(), pk])


def test_an_intact_chain_verifies(chain, capsys):
    assert audit.verify() == []
    call_command("audit_verify")
    assert "intact" in capsys.readouterr().out


def test_a_modified_entry_is_named(chain):
    target = chain[2]
    _raw_update(target.pk, reason="nothing to see")
    problems = audit.verify()
    assert [(item.sequence, "modified" in item.problem) for item in problems] == [(target.sequence, True)]


def test_a_deleted_entry_is_found_where_it_was(chain):
    from django.db import connection

    with audit_guard_lifted(connection), connection.cursor() as cursor:
        cursor.execute("DELETE FROM casework_auditevent WHERE id = %s", [chain[2].pk])
    problems = audit.verify()
    assert problems and all(item.sequence == chain[3].sequence for item in problems)
    assert any("deleted" in item.problem for item in problems)


def test_an_inserted_entry_is_named(chain):
    forged = AuditEvent(
        username="someone",
        action="identity.view",
        at=chain[-1].at,
        sequence=chain[-1].sequence + 1,
        previous_hash=chain[-1].entry_hash,
        entry_hash="0" * 64,
    )
    forged.save()
    problems = audit.verify()
    assert [item.sequence for item in problems] == [forged.sequence]


def test_reordered_entries_are_named(chain):
    first, second = chain[1], chain[2]
    _raw_update(first.pk, sequence=10**12)
    _raw_update(second.pk, sequence=first.sequence)
    _raw_update(first.pk, sequence=second.sequence)
    problems = audit.verify()
    assert {item.sequence for item in problems} >= {first.sequence, second.sequence}


def test_verify_exits_with_an_error_when_the_chain_is_broken(chain):
    _raw_update(chain[0].pk, username="someone else")
    with pytest.raises(SystemExit) as stopped:
        call_command("audit_verify")
    assert stopped.value.code == 1


def test_signing_in_failing_to_and_signing_out_are_audited(users, client, settings):
    # Throttling after a wrong code is tested in test_two_factor.py; here the next code must work at once.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.web.conftest import PASSWORD, current_code

    client.post("/login/", {"username": "case_worker", "password": "wrong"})
    client.post("/login/", {"username": "case_worker", "password": PASSWORD})
    device = TOTPDevice.objects.get(user=users["case_worker"])
    client.post("/login/two-factor/", {"code": "not a code"})
    client.post("/login/two-factor/", {"code": current_code(device)})
    client.post("/logout/")
    actions = list(AuditEvent.objects.order_by("sequence").values_list("action", "username", "target"))
    assert actions == [
        ("auth.sign_in_failed", "", "case_worker"),
        ("auth.password_accepted", "case_worker", ""),
        ("auth.second_factor_failed", "case_worker", ""),
        ("auth.sign_in", "case_worker", ""),
        ("auth.sign_out", "case_worker", ""),
    ]
    assert audit.verify() == []


# --- Anchors kept off-host ------------------------------------------------------------------------


def _anchors(tmp_path, *anchors):
    import json

    path = tmp_path / "anchors.jsonl"
    path.write_text("".join(json.dumps(anchor) + "\n" for anchor in anchors), encoding="utf-8")
    return path


def test_an_anchor_catches_a_tail_cut_off_by_someone_holding_the_audit_key(chain, tmp_path):
    from django.db import connection

    anchor = audit.make_anchor()
    assert anchor["sequence"] == chain[-1].sequence and audit.check_anchor(anchor) is None
    call_command("audit_verify", anchors=str(_anchors(tmp_path, anchor)))
    # Cutting the newest entries leaves a chain that verifies on its own ...
    with audit_guard_lifted(connection), connection.cursor() as cursor:
        cursor.execute("DELETE FROM casework_auditevent WHERE sequence >= %s", [chain[-2].sequence])
    assert audit.verify() == []
    # ... but not against the anchor.
    problem = audit.check_anchor(anchor)
    assert problem is not None and f"entry {anchor['sequence']}" in problem and "cut" in problem
    with pytest.raises(SystemExit) as stopped:
        call_command("audit_verify", anchors=str(_anchors(tmp_path, anchor)))
    assert stopped.value.code == 1


def test_an_anchor_catches_a_rewritten_chain_and_a_forged_anchor(chain):
    anchor = audit.make_anchor()
    # Rewriting an entry and re-hashing the chain (possible with the audit key) changes the head.
    _raw_update(chain[-1].pk, entry_hash="0" * 64)
    assert "rewritten" in audit.check_anchor(anchor)
    forged = {**anchor, "entry_hash": "0" * 64}
    assert "signature" in audit.check_anchor(forged)
    assert "not an anchor" in audit.check_anchor({"sequence": "x"})


def test_the_anchor_command_appends_a_line(chain, tmp_path):
    import json

    path = tmp_path / "off-host.jsonl"
    call_command("audit_anchor", append=str(path))
    call_command("audit_anchor", append=str(path))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 2 and all(audit.check_anchor(line) is None for line in lines)
