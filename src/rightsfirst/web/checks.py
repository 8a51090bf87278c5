"""Deployment checks on the database (`rightsfirst manage check --deploy`).

They warn when the database would let history be rewritten or acknowledged writes be lost:
- the application connects to PostgreSQL as a superuser (who can skip triggers) or as the
  owner of the audit table (who can disable them), or with the right to change audit rows;
- the audit table's append-only triggers (migration 0006) are missing or disabled;
- PostgreSQL runs with fsync, full_page_writes or synchronous_commit off;
- and, as an error, the application would reach a PostgreSQL server on another host without
  verifying its certificate (sslmode other than verify-full): identity crosses that link.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Error as CheckError
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError, connections

AUDIT_TABLE = "casework_auditevent"
# The trigger names created by migration 0006_audit_append_only.
SQLITE_TRIGGERS = frozenset({"casework_auditevent_no_update", "casework_auditevent_no_delete"})
POSTGRESQL_TRIGGERS = frozenset({"casework_auditevent_append_only", "casework_auditevent_no_truncate"})
DURABILITY_SETTINGS = ("fsync", "full_page_writes", "synchronous_commit")
ROLES_HINT = (
    "Connect the application as the role made by `rightsfirst manage db_roles` and run migrations "
    "as the owner role (docs/application.md, 'Database roles')."
)


@register(Tags.security, deploy=True)
def check_databases(
    app_configs: Any = None, databases: Iterable[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """The audit guard and the connection's role on every configured database."""
    messages: list[CheckMessage] = []
    for alias in databases if databases is not None else connections:
        connection = connections[alias]
        messages += transport_messages(alias, connection.settings_dict)
        try:
            if connection.vendor == "postgresql":
                messages += _postgresql(connection, alias)
            elif connection.vendor == "sqlite":
                messages += _sqlite(connection, alias)
        except DatabaseError as error:
            messages.append(
                CheckWarning(
                    f"Database {alias!r} could not be inspected: {error}",
                    hint="Run the check where the database is reachable, with the application's credentials.",
                    id="rightsfirst.W100",
                )
            )
    return messages


def _sqlite(connection: Any, alias: str) -> list[CheckMessage]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, name FROM sqlite_master WHERE tbl_name = %s", [AUDIT_TABLE])
        rows = cursor.fetchall()
    if not any(kind == "table" for kind, _name in rows):
        return []  # not migrated yet: Django's own checks and `migrate` deal with that
    present = {name for kind, name in rows if kind == "trigger"}
    return _trigger_messages(alias, SQLITE_TRIGGERS - present, set())


def _postgresql(connection: Any, alias: str) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    with connection.cursor() as cursor:
        settings: dict[str, str] = {}
        for name in DURABILITY_SETTINGS:
            # SHOW takes no parameters; the names are the fixed ones above.
            cursor.execute(f"SHOW {name}")
            settings[name] = cursor.fetchone()[0]
        messages += durability_messages(alias, settings)
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        role, superuser = cursor.fetchone()
        if superuser:
            messages.append(
                CheckWarning(
                    f"Database {alias!r}: the application connects as {role!r}, a superuser, who can skip the "
                    "audit log's triggers and rewrite its history.",
                    hint=ROLES_HINT,
                    id="rightsfirst.W101",
                )
            )
        cursor.execute(
            "SELECT pg_get_userbyid(relowner) = current_user, "
            "has_table_privilege(oid, 'UPDATE') OR has_table_privilege(oid, 'DELETE') "
            "OR has_table_privilege(oid, 'TRUNCATE') "
            "FROM pg_class WHERE oid = to_regclass(%s)",
            [AUDIT_TABLE],
        )
        table = cursor.fetchone()
        if table is None:
            return messages  # not migrated yet
        owner, may_change = table
        if owner:
            messages.append(
                CheckWarning(
                    f"Database {alias!r}: the application's role {role!r} owns the audit table, so it can disable "
                    "the triggers that keep it append-only.",
                    hint=ROLES_HINT,
                    id="rightsfirst.W102",
                )
            )
        elif may_change and not superuser:
            messages.append(
                CheckWarning(
                    f"Database {alias!r}: the application's role {role!r} may UPDATE, DELETE or TRUNCATE audit "
                    "entries; it should only read and add them.",
                    hint="Run `rightsfirst manage db_roles ... --apply --grants-only` as the owner again.",
                    id="rightsfirst.W103",
                )
            )
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal",
            [AUDIT_TABLE],
        )
        triggers = dict(cursor.fetchall())
    # 'O' and 'A' fire in a normal session; 'D' is disabled and 'R' fires only in replicas.
    disabled = {name for name in POSTGRESQL_TRIGGERS & triggers.keys() if triggers[name] not in ("O", "A")}
    return messages + _trigger_messages(alias, POSTGRESQL_TRIGGERS - triggers.keys(), disabled)


def _trigger_messages(alias: str, missing: set[str] | frozenset[str], disabled: set[str]) -> list[CheckMessage]:
    if not missing and not disabled:
        return []
    parts = []
    if missing:
        parts.append("missing: " + ", ".join(sorted(missing)))
    if disabled:
        parts.append("disabled: " + ", ".join(sorted(disabled)))
    return [
        CheckWarning(
            f"Database {alias!r}: the audit table's append-only triggers are not in place ({'; '.join(parts)}), "
            "so audit entries can be changed or deleted.",
            hint="As the table's owner, enable them (ALTER TABLE casework_auditevent ENABLE TRIGGER USER) or create "
            "them again as the audit_append_only migration does; then run `rightsfirst audit verify` and find "
            "out who turned them off.",
            id="rightsfirst.W104",
        )
    ]


def durability_messages(alias: str, settings: Mapping[str, str]) -> list[CheckMessage]:
    """Warnings for PostgreSQL settings (as SHOW gives them) that can lose acknowledged commits.

    synchronous_commit may be on, local, remote_write or remote_apply: all of them wait for the
    commit to be flushed to the local disk. Only "off" acknowledges before that.
    """
    off = [name for name in DURABILITY_SETTINGS if settings.get(name, "on").lower() == "off"]
    if not off:
        return []
    return [
        CheckWarning(
            f"Database {alias!r}: PostgreSQL runs with {', '.join(off)} off, so a crash can lose committed "
            "records and audit entries" + (" or corrupt the database." if set(off) - {"synchronous_commit"} else "."),
            hint="Set fsync, full_page_writes and synchronous_commit to on in postgresql.conf "
            "(and for the application's role: ALTER ROLE ... RESET synchronous_commit).",
            id="rightsfirst.W105",
        )
    ]


# Hosts the connection never leaves the machine for: a Unix socket directory or loopback.
LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1"})


def is_remote_postgresql(settings_dict: Mapping[str, Any]) -> bool:
    """True when this database is PostgreSQL reached over the network (not a socket or loopback)."""
    host = str(settings_dict.get("HOST") or "")
    return str(settings_dict.get("ENGINE", "")).endswith("postgresql") and not (
        host in LOCAL_HOSTS or host.startswith("/")
    )


def transport_messages(alias: str, settings_dict: Mapping[str, Any]) -> list[CheckMessage]:
    """An error when a remote PostgreSQL server would be used without full certificate verification.

    "require" encrypts but accepts any certificate, so whoever sits on the path can pose as the
    server and read every identity that crosses it; only verify-full checks both the certificate
    chain and the host name.
    """
    if not is_remote_postgresql(settings_dict):
        return []
    mode = str((settings_dict.get("OPTIONS") or {}).get("sslmode", "prefer"))
    if mode == "verify-full":
        return []
    return [
        CheckError(
            f"Database {alias!r}: PostgreSQL on {settings_dict.get('HOST')!r} is reached with sslmode={mode}, "
            "which does not verify the server's certificate and host name.",
            hint="Add ?sslmode=verify-full&sslrootcert=/path/to/ca.pem to DATABASE_URL (production settings set "
            "verify-full by default for remote hosts), or connect over a Unix socket or loopback.",
            id="rightsfirst.E106",
        )
    ]
