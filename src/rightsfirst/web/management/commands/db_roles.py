"""PostgreSQL roles for least privilege: `rightsfirst manage db_roles --owner OWNER --app APP [--apply]`.

Two roles. OWNER owns a schema and every table in it and runs the migrations. APP is what the
application connects as: it may read and write the ordinary tables, only read and add audit
entries, and owns nothing, so it can neither change history nor switch off the triggers that
keep the audit table append-only. Someone holding the application's credentials (an insider,
or an attacker in the web server) therefore cannot rewrite the audit log.

Without --apply the SQL is printed (to review, or to run with psql). With --apply it runs in one
transaction on the database DATABASE_URL names, connected as a superuser (first run: it creates
the roles and the schema) or as OWNER (--grants-only, after migrations). See "Database roles" in
docs/application.md.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection, transaction

from rightsfirst.web.checks import AUDIT_TABLE

# Role and schema names are checked against this, then written into the SQL between double
# quotes (and, in the DO blocks, between single quotes): nothing else can reach the SQL.
NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
NAME_RULE = "1 to 63 lowercase letters, digits and underscores, starting with a letter or an underscore"
# The application only reads which migrations were applied; it never records one.
MIGRATIONS_TABLE = "django_migrations"


def _name(option: str, value: str, reserved: tuple[str, ...] = ("public",)) -> str:
    if not NAME.fullmatch(value) or value.startswith("pg_") or value in reserved:
        rule = f"{NAME_RULE}, not pg_..." + "".join(f" or {name}" for name in reserved)
        raise CommandError(f"{option}: {value!r} is not allowed: use {rule}")
    return value


def _quote_database(name: str) -> str:
    if not name or "\x00" in name:
        raise CommandError(f"--database-name: {name!r} is not a database name")
    return '"' + name.replace('"', '""') + '"'


def _attributes() -> str:
    return "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


def role_statements(owner: str, app: str, schema: str, database: str) -> list[str]:
    """SQL that a superuser runs once: the two roles, the schema, and who may connect.

    An existing APP role is brought down to the least privileges and out of every role it was a
    member of (membership would lend it another role's rights); an existing OWNER is left as it is.
    """
    db = _quote_database(database)
    return [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{owner}') THEN "  # nosec B608  # names matched against NAME first
        f'CREATE ROLE "{owner}" {_attributes()}; END IF; END $$',
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{app}') THEN "  # nosec B608  # names matched against NAME first
        f'CREATE ROLE "{app}" {_attributes()}; END IF; END $$',
        f'ALTER ROLE "{app}" {_attributes()}',
        "DO $$ DECLARE membership record; BEGIN "  # nosec B608  # names matched against NAME first
        f"FOR membership IN SELECT roleid::regrole AS granted FROM pg_auth_members WHERE member = '{app}'::regrole "
        f"LOOP EXECUTE format('REVOKE %s FROM \"{app}\"', membership.granted); END LOOP; END $$",
        f"REVOKE ALL ON DATABASE {db} FROM PUBLIC",
        f'GRANT CONNECT ON DATABASE {db} TO "{owner}", "{app}"',
        f'CREATE SCHEMA IF NOT EXISTS "{schema}" AUTHORIZATION "{owner}"',
        f'ALTER SCHEMA "{schema}" OWNER TO "{owner}"',
        # Django writes table names without a schema: both roles find them through search_path.
        f'ALTER ROLE "{owner}" IN DATABASE {db} SET search_path = "{schema}"',
        f'ALTER ROLE "{app}" IN DATABASE {db} SET search_path = "{schema}"',
    ]


def grant_statements(owner: str, app: str, schema: str) -> list[str]:
    """SQL that OWNER (or a superuser) runs after each migration: what APP may do in the schema.

    Tables created later by OWNER get the ordinary grants through default privileges; the audit
    table's narrower grant is set here and by the audit_append_only migration, which takes
    UPDATE, DELETE and TRUNCATE on it from every role but its owner.
    """
    on_schema = f'IN SCHEMA "{schema}"'
    return [
        f'REVOKE ALL ON SCHEMA "{schema}" FROM PUBLIC',
        f'REVOKE ALL ON SCHEMA "{schema}" FROM "{app}"',
        f'GRANT USAGE ON SCHEMA "{schema}" TO "{app}"',
        f'REVOKE ALL ON ALL TABLES {on_schema} FROM PUBLIC, "{app}"',
        f'REVOKE ALL ON ALL SEQUENCES {on_schema} FROM PUBLIC, "{app}"',
        f'REVOKE ALL ON ALL FUNCTIONS {on_schema} FROM PUBLIC, "{app}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES {on_schema} TO "{app}"',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES {on_schema} TO "{app}"',
        # Before the first migration these tables do not exist yet; the migration then narrows
        # the audit table itself.
        f"DO $$ BEGIN "
        f"IF to_regclass('\"{schema}\".{AUDIT_TABLE}') IS NOT NULL THEN "
        f'REVOKE UPDATE, DELETE ON "{schema}".{AUDIT_TABLE} FROM "{app}"; END IF; '
        f"IF to_regclass('\"{schema}\".{MIGRATIONS_TABLE}') IS NOT NULL THEN "
        f'REVOKE INSERT, UPDATE, DELETE ON "{schema}".{MIGRATIONS_TABLE} FROM "{app}"; END IF; '
        f"END $$",
        f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" {on_schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES '
        f'TO "{app}"',
        f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" {on_schema} GRANT USAGE, SELECT ON SEQUENCES TO "{app}"',
    ]


def least_privilege_problems(cursor: Any, app: str) -> list[str]:
    """What, in the connected database, still gives APP more than it should have."""
    cursor.execute(
        "SELECT oid, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles "
        "WHERE rolname = %s",
        [app],
    )
    row = cursor.fetchone()
    if row is None:
        return [f"role {app!r} does not exist (run the command once without --grants-only, as a superuser)"]
    oid, *flags = row
    labels = ["SUPERUSER", "CREATEDB", "CREATEROLE", "REPLICATION", "BYPASSRLS"]
    problems = [f"role {app!r} has {label}" for label, flag in zip(labels, flags, strict=True) if flag]
    cursor.execute(
        "SELECT 'table ' || relname FROM pg_class WHERE relowner = %s "
        "UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspowner = %s "
        "UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE proowner = %s "
        "UNION ALL SELECT 'database ' || datname FROM pg_database WHERE datdba = %s",
        [oid, oid, oid, oid],
    )
    owned = [name for (name,) in cursor.fetchall()]
    if owned:
        problems.append(
            f"role {app!r} owns {len(owned)} object(s) ({', '.join(owned[:5])}); an application role must own "
            f"nothing: REASSIGN OWNED BY {app} TO <owner>, then run this again"
        )
    cursor.execute("SELECT roleid::regrole::text FROM pg_auth_members WHERE member = %s", [oid])
    problems += [f"role {app!r} is a member of {granted}" for (granted,) in cursor.fetchall()]
    return problems


class Command(BaseCommand):
    help = (
        "Print (or with --apply run) the SQL for a least-privilege PostgreSQL set-up: OWNER runs the "
        "migrations, APP is what the application connects as and cannot change or delete audit entries."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--owner", required=True, help="role that owns the schema and runs the migrations")
        parser.add_argument("--app", required=True, help="role the application connects as (DATABASE_URL)")
        parser.add_argument("--schema", default="rightsfirst", help="schema for the tables (default: rightsfirst)")
        parser.add_argument(
            "--database-name", help="database to set up (default: the one DATABASE_URL names; needed on SQLite)"
        )
        parser.add_argument(
            "--grants-only",
            action="store_true",
            help="only the grants on the schema's tables: what OWNER runs again after migrations",
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--print", action="store_true", help="print the SQL without running it (the default)")
        mode.add_argument("--apply", action="store_true", help="run the SQL on DATABASE_URL's database")

    def handle(self, *args: Any, **options: Any) -> None:
        owner = _name("--owner", options["owner"])
        app = _name("--app", options["app"])
        # The schema may be public: an existing database whose tables are there keeps them.
        schema = _name("--schema", options["schema"], reserved=("information_schema",))
        if owner == app:
            raise CommandError("--owner and --app must be different roles: the point is that APP owns nothing")
        is_postgresql = connection.vendor == "postgresql"
        if options["apply"] and not is_postgresql:
            raise CommandError(
                f"--apply needs PostgreSQL, and DATABASE_URL points to {connection.vendor}: "
                "set DATABASE_URL to the PostgreSQL database (as a superuser or, with --grants-only, as OWNER)"
            )
        sections = [
            (
                f"-- As {owner} (or a superuser), after every migrate: what {app} may do",
                grant_statements(owner, app, schema),
            )
        ]
        if not options["grants_only"]:
            database = options["database_name"] or (connection.settings_dict["NAME"] if is_postgresql else None)
            if not database:
                raise CommandError("--database-name is needed when DATABASE_URL is not a PostgreSQL database")
            first = role_statements(owner, app, schema, str(database))
            sections.insert(0, ("-- As a superuser, once: the roles, the schema, who may connect", first))
        if not options["apply"]:
            for heading, statements in sections:
                self.stdout.write(heading)
                self.stdout.write("".join(f"{statement};\n" for statement in statements))
            return
        every = [statement for _heading, statements in sections for statement in statements]
        self._apply(every, owner, app, schema, show=options["verbosity"] >= 2)

    def _apply(self, statements: list[str], owner: str, app: str, schema: str, show: bool) -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT current_user")
                if cursor.fetchone()[0] == app:
                    raise CommandError(f"connected as {app!r}: run this as a superuser or as {owner!r}, never as APP")
                for statement in statements:
                    if show:
                        self.stdout.write(f"{statement};")
                    cursor.execute(statement)
                problems = least_privilege_problems(cursor, app)
                if problems:
                    # Raising here rolls the whole transaction back: nothing is left half-applied.
                    raise CommandError("not applied: " + "; ".join(problems))
                # The audit entry goes into this schema's log, whatever this session's search_path was.
                cursor.execute(f'SET LOCAL search_path = "{schema}"')
                self._record(owner, app, schema)
        except DatabaseError as error:
            raise CommandError(f"not applied: PostgreSQL refused it: {error}".strip()) from None
        self.stdout.write(
            f"Applied. {app!r} may read and write the tables in schema {schema!r}, only read and add audit "
            f"entries, and owns nothing; {owner!r} owns the schema and runs the migrations.\n"
            f"Next: give {app!r} a password (psql: \\password {app}), run `rightsfirst manage migrate` with "
            f"DATABASE_URL naming {owner!r}, then run this command again with --grants-only as {owner!r}; "
            f"the application's DATABASE_URL names {app!r}."
        )

    def _record(self, owner: str, app: str, schema: str) -> None:
        # A change of database permissions belongs in the audit log, once there is one.
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [AUDIT_TABLE])
            exists = cursor.fetchone()[0]
        if exists:
            from rightsfirst.web import audit

            audit.record(None, "database.roles_applied", target=f"owner {owner}, app {app}, schema {schema}")
