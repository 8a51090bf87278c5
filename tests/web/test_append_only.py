"""The database refuses to change or remove audit entries, even for raw SQL that goes around the
application; the application's own appends keep working. Runs on the test database: SQLite,
or PostgreSQL when DATABASE_URL points there."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from rightsfirst.web import audit
from rightsfirst.web.models import AuditEvent

ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def entries(users):
    made = [audit.record(users["case_worker"], "case.search", target=f"query {number}") for number in range(3)]
    return made


def _raw(sql, params=()):
    # Its own savepoint: on PostgreSQL a failed statement spoils the rest of the transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_raw_update_of_an_audit_entry_is_refused(entries):
    with pytest.raises(IntegrityError, match="append-only"):
        _raw("UPDATE casework_auditevent SET reason = %s WHERE id = %s", ["nothing to see", entries[1].pk])
    assert AuditEvent.objects.get(pk=entries[1].pk).reason == ""
    assert audit.verify() == []


def test_a_raw_update_of_every_entry_is_refused(entries):
    before = list(AuditEvent.objects.order_by("id").values_list("username", flat=True))
    with pytest.raises(IntegrityError, match="append-only"):
        _raw("UPDATE casework_auditevent SET username = %s", ["someone else"])
    assert list(AuditEvent.objects.order_by("id").values_list("username", flat=True)) == before


def test_a_raw_delete_of_an_audit_entry_is_refused(entries):
    with pytest.raises(IntegrityError, match="append-only"):
        _raw("DELETE FROM casework_auditevent WHERE id = %s", [entries[1].pk])
    with pytest.raises(IntegrityError, match="append-only"):
        _raw("DELETE FROM casework_auditevent")
    assert AuditEvent.objects.filter(pk__in=[entry.pk for entry in entries]).count() == 3
    assert audit.verify() == []


@pytest.mark.skipif(not ON_POSTGRESQL, reason="TRUNCATE exists on PostgreSQL only (SQLite's is a DELETE)")
def test_truncating_the_audit_table_is_refused(entries):
    # As in a transaction of its own: the entries' foreign-key checks (deferred) are done first,
    # or PostgreSQL refuses the TRUNCATE for that reason before the trigger is reached.
    _raw("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(IntegrityError, match="TRUNCATE refused"):
        _raw("TRUNCATE casework_auditevent")
    assert AuditEvent.objects.count() >= 3


def test_the_application_still_appends(entries, users):
    before = AuditEvent.objects.count()
    added = audit.record(users["coordinator"], "case.search", target="after the guard")
    assert AuditEvent.objects.count() == before + 1
    assert added.sequence == entries[-1].sequence + 1
    assert audit.verify() == []


def test_other_tables_are_not_guarded(users):
    # The triggers sit on the audit table only: ordinary records stay editable.
    user = users["case_worker"]
    _raw("UPDATE auth_user SET first_name = %s WHERE id = %s", ["Fictional", user.pk])
    user.refresh_from_db()
    assert user.first_name == "Fictional"


@pytest.mark.django_db(transaction=True)
def test_the_flush_between_transactional_tests_gets_past_the_guard_and_puts_it_back(users):
    # The browser tests commit for real and are cleaned up with `flush` (see conftest.py).
    from django.core.management import call_command

    # The recovery-code models are registered only once something imports them (a page request
    # does); flush must know every table, or PostgreSQL refuses to truncate auth_user under them.
    import rightsfirst.web.models.security  # noqa: F401

    audit.record(users["case_worker"], "case.search", target="before the flush")
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0
    entry = audit.record(None, "case.search", target="after the flush")
    with pytest.raises(IntegrityError, match="append-only"):
        _raw("DELETE FROM casework_auditevent WHERE id = %s", [entry.pk])
    assert AuditEvent.objects.filter(pk=entry.pk).exists()
