"""The database itself refuses to change or remove audit entries.

SQLite: BEFORE UPDATE and BEFORE DELETE triggers that abort the statement.
PostgreSQL: a row-level BEFORE UPDATE OR DELETE trigger and a statement-level BEFORE TRUNCATE
trigger (row triggers do not fire for TRUNCATE), both raising an exception; and every role but
the table's owner loses UPDATE, DELETE and TRUNCATE on the table, whatever default privileges
gave it when the table was created (see `rightsfirst manage db_roles`).

The SQL is written out here rather than imported, so that this migration keeps doing what it
did when it was written. rightsfirst.web.checks looks the triggers up by these names.

On SQLite, a later migration that rebuilds casework_auditevent (Django copies the table for
most column changes) drops these triggers with the old table: such a migration must create
them again. The append-only tests and the deployment check fail until it does.
"""

from typing import Any

from django.db import migrations

SQLITE_INSTALL = [
    """
    CREATE TRIGGER casework_auditevent_no_update BEFORE UPDATE ON casework_auditevent
    BEGIN
        SELECT RAISE(ABORT, 'casework_auditevent is append-only: UPDATE refused');
    END
    """,
    """
    CREATE TRIGGER casework_auditevent_no_delete BEFORE DELETE ON casework_auditevent
    BEGIN
        SELECT RAISE(ABORT, 'casework_auditevent is append-only: DELETE refused');
    END
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS casework_auditevent_no_update",
    "DROP TRIGGER IF EXISTS casework_auditevent_no_delete",
]

POSTGRESQL_INSTALL = [
    # restrict_violation (SQLSTATE 23001): Django raises IntegrityError, as it does for SQLite's
    # RAISE(ABORT), so the application sees the same error on both databases.
    """
    CREATE OR REPLACE FUNCTION casework_auditevent_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'casework_auditevent is append-only: % refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END;
    $$
    """,
    """
    CREATE TRIGGER casework_auditevent_append_only
        BEFORE UPDATE OR DELETE ON casework_auditevent
        FOR EACH ROW EXECUTE FUNCTION casework_auditevent_refuse_change()
    """,
    """
    CREATE TRIGGER casework_auditevent_no_truncate
        BEFORE TRUNCATE ON casework_auditevent
        FOR EACH STATEMENT EXECUTE FUNCTION casework_auditevent_refuse_change()
    """,
    # Nobody needs to call the trigger function directly.
    "REVOKE ALL ON FUNCTION casework_auditevent_refuse_change() FROM PUBLIC",
    # Tables created before the roles were narrowed (or by default privileges that grant every
    # table in the schema) may have given other roles the right to change entries: take it back.
    """
    DO $$
    DECLARE
        grantee text;
    BEGIN
        FOR grantee IN
            SELECT DISTINCT CASE WHEN acl.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(acl.grantee)) END
            FROM pg_class AS c, aclexplode(c.relacl) AS acl
            WHERE c.oid = 'casework_auditevent'::regclass
              AND acl.grantee <> c.relowner
              AND acl.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER', 'REFERENCES')
        LOOP
            EXECUTE format(
                'REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON casework_auditevent FROM %s', grantee
            );
        END LOOP;
    END;
    $$
    """,
]
POSTGRESQL_REMOVE = [
    "DROP TRIGGER IF EXISTS casework_auditevent_no_truncate ON casework_auditevent",
    "DROP TRIGGER IF EXISTS casework_auditevent_append_only ON casework_auditevent",
    "DROP FUNCTION IF EXISTS casework_auditevent_refuse_change()",
]


def _run(schema_editor: Any, statements: dict[str, list[str]]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in statements:
        raise RuntimeError(f"the append-only audit log is written for SQLite and PostgreSQL, not {vendor}")
    for statement in statements[vendor]:
        schema_editor.execute(statement, params=None)


def install(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, {"sqlite": SQLITE_INSTALL, "postgresql": POSTGRESQL_INSTALL})


def remove(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, {"sqlite": SQLITE_REMOVE, "postgresql": POSTGRESQL_REMOVE})


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0005_approvals_and_oversight"),
    ]

    operations = [
        migrations.RunPython(install, remove),
    ]
