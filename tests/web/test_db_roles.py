"""Least-privilege database roles (`manage db_roles`) and the deployment checks on the database.

The end-to-end test needs PostgreSQL (DATABASE_URL naming a PostgreSQL database as a superuser):
it makes a fresh database with an owner and an application role, migrates as the owner, and
shows what the application's credentials can and cannot do. The rest runs on SQLite as well.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from typing import Any
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from rightsfirst.web import checks
from rightsfirst.web.management.commands.db_roles import grant_statements, role_statements
from tests.web.conftest import audit_guard_lifted

ON_POSTGRESQL = connection.vendor == "postgresql"
NOT_POSTGRESQL = "needs PostgreSQL: set DATABASE_URL to a PostgreSQL database (as a superuser)"


def _printed(*arguments: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("db_roles", *arguments, stdout=out)
    return out.getvalue()


# ---------------------------------------------------------------- the SQL the command prints


def test_the_printed_sql_creates_a_powerless_app_role_and_narrow_audit_grants():
    sql = _printed("--owner", "rf_owner", "--app", "rf_app", "--database-name", "rightsfirst")
    assert 'CREATE ROLE "rf_app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS' in sql
    assert 'CREATE SCHEMA IF NOT EXISTS "rightsfirst" AUTHORIZATION "rf_owner"' in sql
    assert 'REVOKE ALL ON ALL TABLES IN SCHEMA "rightsfirst" FROM PUBLIC, "rf_app"' in sql
    assert 'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "rightsfirst" TO "rf_app"' in sql
    assert 'REVOKE UPDATE, DELETE ON "rightsfirst".casework_auditevent FROM "rf_app"' in sql
    assert 'ALTER DEFAULT PRIVILEGES FOR ROLE "rf_owner" IN SCHEMA "rightsfirst" GRANT SELECT' in sql
    # The narrowing comes after the broad grant, or the broad grant would undo it.
    assert sql.index('ON ALL TABLES IN SCHEMA "rightsfirst" TO') < sql.index("casework_auditevent FROM")
    # Nothing ever hands out the rights the audit table must not have.
    assert "TRUNCATE" not in sql
    assert "SUPERUSER " not in sql.replace("NOSUPERUSER ", "")


def test_grants_only_leaves_the_roles_alone():
    sql = _printed("--owner", "rf_owner", "--app", "rf_app", "--grants-only", "--print")
    assert "CREATE ROLE" not in sql and "ALTER ROLE" not in sql and "DATABASE" not in sql
    assert 'GRANT USAGE ON SCHEMA "rightsfirst" TO "rf_app"' in sql


def test_the_statements_are_the_printed_ones():
    sql = _printed("--owner", "rf_owner", "--app", "rf_app", "--schema", "casework", "--database-name", "rf")
    for statement in role_statements("rf_owner", "rf_app", "casework", "rf") + grant_statements(
        "rf_owner", "rf_app", "casework"
    ):
        assert statement + ";" in sql


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--owner", "rf_owner", "--app", 'x"; DROP TABLE casework_case; --'], "--app: "),
        (["--owner", "Owner", "--app", "rf_app"], "--owner: 'Owner' is not allowed"),
        (["--owner", "rf_owner", "--app", "pg_monitor"], "--app: 'pg_monitor' is not allowed"),
        (["--owner", "public", "--app", "rf_app"], "--owner: 'public' is not allowed"),
        (["--owner", "rf_owner", "--app", "rf_app", "--schema", "information_schema"], "--schema: 'information_"),
        (["--owner", "rf_same", "--app", "rf_same"], "must be different roles"),
    ],
)
def test_bad_names_are_refused_with_the_option_named(arguments, message):
    with pytest.raises(CommandError, match=message):
        _printed(*arguments, "--database-name", "rf")


@pytest.mark.skipif(ON_POSTGRESQL, reason="what happens without PostgreSQL")
def test_without_postgresql_apply_is_refused_and_the_database_must_be_named():
    with pytest.raises(CommandError, match="--apply needs PostgreSQL"):
        _printed("--owner", "rf_owner", "--app", "rf_app", "--apply")
    with pytest.raises(CommandError, match="--database-name is needed"):
        _printed("--owner", "rf_owner", "--app", "rf_app")


# ---------------------------------------------------------------- deployment checks


def _ids(messages):
    return {message.id for message in messages}


@pytest.mark.parametrize(
    ("values", "off"),
    [
        ({"fsync": "on", "full_page_writes": "on", "synchronous_commit": "on"}, None),
        ({"fsync": "on", "full_page_writes": "on", "synchronous_commit": "local"}, None),
        ({"fsync": "on", "full_page_writes": "on", "synchronous_commit": "remote_apply"}, None),
        ({"fsync": "off", "full_page_writes": "on", "synchronous_commit": "on"}, "fsync"),
        ({"fsync": "on", "full_page_writes": "off", "synchronous_commit": "on"}, "full_page_writes"),
        ({"fsync": "on", "full_page_writes": "on", "synchronous_commit": "off"}, "synchronous_commit"),
    ],
)
def test_durability_settings_that_lose_commits_are_flagged(values, off):
    messages = checks.durability_messages("default", values)
    if off is None:
        assert messages == []
    else:
        assert _ids(messages) == {"rightsfirst.W105"}
        assert f"{off} off" in messages[0].msg


@pytest.mark.django_db
def test_intact_audit_triggers_pass_the_check():
    assert "rightsfirst.W104" not in _ids(checks.check_databases(databases=["default"]))


@pytest.mark.django_db
def test_missing_or_disabled_audit_triggers_are_flagged():
    with audit_guard_lifted(connection):
        messages = [item for item in checks.check_databases(databases=["default"]) if item.id == "rightsfirst.W104"]
        assert len(messages) == 1
        expected = checks.POSTGRESQL_TRIGGERS if ON_POSTGRESQL else checks.SQLITE_TRIGGERS
        assert all(name in messages[0].msg for name in expected)
    assert "rightsfirst.W104" not in _ids(checks.check_databases(databases=["default"]))


def test_the_checks_run_with_check_deploy_only():
    from django.core.checks import registry

    assert checks.check_databases in registry.registry.get_checks(include_deployment_checks=True)
    assert checks.check_databases not in registry.registry.get_checks(include_deployment_checks=False)


@pytest.mark.skipif(not ON_POSTGRESQL, reason=NOT_POSTGRESQL)
@pytest.mark.django_db
def test_a_superuser_owning_the_audit_table_is_flagged():
    # The test database is reached as a superuser that also ran the migrations: both are wrong in production.
    assert {"rightsfirst.W101", "rightsfirst.W102"} <= _ids(checks.check_databases(databases=["default"]))


@pytest.mark.skipif(not ON_POSTGRESQL, reason=NOT_POSTGRESQL)
@pytest.mark.django_db
def test_synchronous_commit_off_is_flagged():
    assert "rightsfirst.W105" not in _ids(checks.check_databases(databases=["default"]))
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    try:
        messages = [item for item in checks.check_databases(databases=["default"]) if item.id == "rightsfirst.W105"]
        assert messages and "synchronous_commit off" in messages[0].msg
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


# ---------------------------------------------------------------- end to end on PostgreSQL


def _url(user: str, password: str, database: str) -> str:
    settings = connection.settings_dict
    secret = f":{quote(password, safe='')}" if password else ""
    host = f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    return f"postgres://{quote(user, safe='')}{secret}@{host}/{database}"


def _manage(url: str, data_dir: Any, *arguments: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "RIGHTSFIRST_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "rightsfirst.web.settings",
        **env,
    }
    for name in ("RIGHTSFIRST_AUDIT_KEY", "RIGHTSFIRST_MASTER_KEY", "RIGHTSFIRST_DEBUG"):
        environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "django", *arguments], env=environment, capture_output=True, text=True, timeout=300
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


@pytest.fixture
def fresh_database(tmp_path):
    """A new database and two new roles with unique names, dropped afterwards."""
    import psycopg

    suffix = secrets.token_hex(4)
    names = {"database": f"rf_pgrole_{suffix}", "owner": f"rf_pgrole_o_{suffix}", "app": f"rf_pgrole_a_{suffix}"}
    passwords = {"owner": secrets.token_urlsafe(24), "app": secrets.token_urlsafe(24)}
    settings = connection.settings_dict
    superuser = {
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or 5432,
        "user": settings["USER"],
        "password": settings["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **superuser) as admin:
        admin.execute(f'CREATE DATABASE "{names["database"]}"')
    try:
        yield {
            **names,
            "passwords": passwords,
            "superuser_url": _url(settings["USER"], settings["PASSWORD"] or "", names["database"]),
            "owner_url": _url(names["owner"], passwords["owner"], names["database"]),
            "app_url": _url(names["app"], passwords["app"], names["database"]),
            "superuser": superuser,
            "data_dir": tmp_path,
        }
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **superuser) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{names["database"]}" WITH (FORCE)')
            for role in (names["app"], names["owner"]):
                admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def _refused(conn: Any, sql: str, error: type[Exception]) -> str:
    """Run `sql` in a transaction of its own, expect `error`, return its message."""
    with pytest.raises(error) as raised, conn.transaction():
        conn.execute(sql)
    return str(raised.value)


@pytest.mark.skipif(not ON_POSTGRESQL, reason=NOT_POSTGRESQL)
def test_the_application_role_can_add_to_the_audit_log_but_not_rewrite_it(fresh_database):
    import psycopg
    from psycopg import errors

    db = fresh_database
    data_dir = db["data_dir"]
    owner, app = db["owner"], db["app"]
    roles = ["--owner", owner, "--app", app]

    # Set-up as a superuser; then the passwords (never in printed SQL).
    _ok(_manage(db["superuser_url"], data_dir, "db_roles", *roles, "--apply"))
    with psycopg.connect(dbname=db["database"], autocommit=True, **db["superuser"]) as admin:
        for role, name in (("owner", owner), ("app", app)):
            admin.execute(f"ALTER ROLE \"{name}\" PASSWORD '{db['passwords'][role]}'")

    # Migrations as the owner. The audit migration already keeps UPDATE/DELETE/TRUNCATE from the
    # application role, although default privileges granted them when the table was created.
    _ok(_manage(db["owner_url"], data_dir, "migrate", "--noinput", "-v0"))
    with psycopg.connect(db["app_url"]) as conn:
        privileges = conn.execute(
            "SELECT p, has_table_privilege('casework_auditevent', p) FROM unnest(ARRAY"
            "['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER', 'REFERENCES']) AS p"
        ).fetchall()
    assert {name for name, granted in privileges if granted} == {"SELECT", "INSERT"}
    _ok(_manage(db["owner_url"], data_dir, "db_roles", *roles, "--apply", "--grants-only"))

    # The application, as the application role: it registers an agency and a user (both audited).
    _ok(_manage(db["app_url"], data_dir, "add_agency", "Fictional Shelter", "--kind", "shelter"))
    _ok(
        _manage(
            db["app_url"],
            data_dir,
            "add_user",
            "fictional_worker",
            "--agency",
            "Fictional Shelter",
            "--role",
            "case_worker",
            RIGHTSFIRST_NEW_PASSWORD=secrets.token_urlsafe(16),
        )
    )

    with psycopg.connect(db["app_url"]) as conn:
        # What the role is: no special attributes, member of nothing, owner of nothing.
        attributes = conn.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin "
            "FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert attributes == (False, False, False, False, False, True)
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user").fetchone() == (0,)
        owned = conn.execute(
            "SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid) "
            "+ (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid) "
            "+ (SELECT count(*) FROM pg_proc WHERE proowner = r.oid) "
            "+ (SELECT count(*) FROM pg_auth_members WHERE member = r.oid) "
            "FROM pg_roles AS r WHERE rolname = current_user"
        ).fetchone()
        assert owned == (0,)
        assert conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'casework_auditevent'").fetchone() == (
            owner,
        )

        # The audit table: read and add, nothing else.
        entries = conn.execute("SELECT sequence, action FROM casework_auditevent ORDER BY sequence").fetchall()
        assert [action for _sequence, action in entries] == ["database.roles_applied", "user.create"]
        with conn.transaction(force_rollback=True):
            conn.execute(
                "INSERT INTO casework_auditevent (at, username, role, agency, action, case_reference, target, fields,"
                " reason, sequence, previous_hash, entry_hash) VALUES (now(), '', '', '', 'test.insert', '', '', '',"
                " '', 1000, '', '')"
            )
        for sql in (
            "UPDATE casework_auditevent SET reason = 'nothing to see'",
            "DELETE FROM casework_auditevent",
            "TRUNCATE casework_auditevent",
        ):
            assert "permission denied" in _refused(conn, sql, errors.InsufficientPrivilege)
        # Nor can it switch the triggers off, make tables, skip triggers or record a migration.
        _refused(conn, "ALTER TABLE casework_auditevent DISABLE TRIGGER USER", errors.InsufficientPrivilege)
        _refused(conn, "CREATE TABLE casework_anything (id int)", errors.InsufficientPrivilege)
        _refused(conn, "SET session_replication_role = replica", errors.InsufficientPrivilege)
        _refused(
            conn,
            "INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())",
            errors.InsufficientPrivilege,
        )

        # Ordinary tables: read and write.
        with conn.transaction(force_rollback=True):
            conn.execute("SELECT count(*) FROM casework_case").fetchone()
            conn.execute("INSERT INTO casework_agency (name, kind, region) VALUES ('Fictional Clinic', 'ngo', '')")
            conn.execute("UPDATE casework_agency SET region = 'North' WHERE name = 'Fictional Clinic'")
            conn.execute("DELETE FROM casework_agency WHERE name = 'Fictional Clinic'")
            conn.execute("DELETE FROM casework_case WHERE id < 0")

    # `check --deploy` is quiet about the database for the application role, not for the owner.
    app_check = _manage(db["app_url"], data_dir, "check", "--deploy")
    assert "rightsfirst.W" not in app_check.stdout + app_check.stderr, app_check.stdout + app_check.stderr
    owner_check = _manage(db["owner_url"], data_dir, "check", "--deploy")
    assert "rightsfirst.W102" in owner_check.stdout + owner_check.stderr
    assert "rightsfirst.W101" not in owner_check.stdout + owner_check.stderr

    # The owner is stopped by the triggers...
    with psycopg.connect(db["owner_url"]) as conn:
        assert "append-only" in _refused(conn, "UPDATE casework_auditevent SET reason = 'x'", errors.RestrictViolation)
        assert "append-only" in _refused(conn, "DELETE FROM casework_auditevent", errors.RestrictViolation)
        assert "append-only" in _refused(conn, "TRUNCATE casework_auditevent", errors.RestrictViolation)
        # ... until it switches them off; then the hash chain names the entry it changed.
        with conn.transaction():
            conn.execute("ALTER TABLE casework_auditevent DISABLE TRIGGER USER")
            conn.execute("UPDATE casework_auditevent SET target = 'someone else' WHERE sequence = 2")
            conn.execute("ALTER TABLE casework_auditevent ENABLE TRIGGER USER")
    verified = _manage(db["app_url"], data_dir, "audit_verify")
    assert verified.returncode == 1, verified.stdout + verified.stderr
    assert "entry 2 " in verified.stdout and "modified" in verified.stdout


@pytest.mark.skipif(not ON_POSTGRESQL, reason=NOT_POSTGRESQL)
def test_an_application_role_that_owns_something_is_refused_and_nothing_is_applied(fresh_database):
    import psycopg

    db = fresh_database
    with psycopg.connect(dbname=db["database"], autocommit=True, **db["superuser"]) as admin:
        admin.execute(f'CREATE ROLE "{db["app"]}" LOGIN')
        admin.execute("CREATE TABLE fictional_leftover (id int)")
        admin.execute(f'ALTER TABLE fictional_leftover OWNER TO "{db["app"]}"')
    result = _manage(
        db["superuser_url"], db["data_dir"], "db_roles", "--owner", db["owner"], "--app", db["app"], "--apply"
    )
    assert result.returncode != 0
    assert "not applied" in result.stderr and "owns 1 object(s) (table fictional_leftover)" in result.stderr
    assert "Traceback" not in result.stderr
    with psycopg.connect(dbname=db["database"], **db["superuser"]) as admin:
        # One transaction: the owner role and the schema made before the refusal are gone again.
        assert admin.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [db["owner"]]).fetchone() == (0,)
        assert admin.execute("SELECT to_regnamespace('rightsfirst')").fetchone() == (None,)


PG = "django.db.backends.postgresql"


@pytest.mark.parametrize(
    ("settings_dict", "refused"),
    [
        ({"ENGINE": PG, "HOST": "db.example.org", "OPTIONS": {"sslmode": "verify-full"}}, False),
        ({"ENGINE": PG, "HOST": "db.example.org", "OPTIONS": {"sslmode": "require"}}, True),
        ({"ENGINE": PG, "HOST": "db.example.org", "OPTIONS": {"sslmode": "verify-ca"}}, True),
        ({"ENGINE": PG, "HOST": "10.0.0.7", "OPTIONS": {}}, True),  # libpq's default is "prefer"
        ({"ENGINE": PG, "HOST": "127.0.0.1", "OPTIONS": {}}, False),
        ({"ENGINE": PG, "HOST": "", "OPTIONS": {}}, False),
        ({"ENGINE": PG, "HOST": "/var/run/postgresql", "OPTIONS": {}}, False),
        ({"ENGINE": "django.db.backends.sqlite3", "HOST": "", "OPTIONS": {}}, False),
    ],
)
def test_a_remote_database_without_certificate_verification_is_an_error(settings_dict, refused):
    messages = checks.transport_messages("default", settings_dict)
    if refused:
        assert _ids(messages) == {"rightsfirst.E106"}
        assert messages[0].is_serious()
    else:
        assert messages == []


@pytest.mark.parametrize(
    ("url", "expected_mode", "refused"),
    [
        ("postgres://app@db.example.org:5432/rightsfirst", "verify-full", False),
        ("postgres://app@db.example.org:5432/rightsfirst?sslmode=require", "require", True),
        ("postgres://app@127.0.0.1:5432/rightsfirst", None, False),
    ],
)
def test_production_settings_verify_a_remote_servers_certificate_by_default(tmp_path, url, expected_mode, refused):
    # A fresh interpreter: the production settings read DATABASE_URL once, at import.
    script = (
        "import json\n"
        "from rightsfirst.web import settings_production as s\n"
        "from rightsfirst.web.checks import transport_messages\n"
        "db = s.DATABASES['default']\n"
        "print(json.dumps([db.get('OPTIONS', {}).get('sslmode'), [m.id for m in transport_messages('default', db)]]))\n"
    )
    env = {**os.environ, "DATABASE_URL": url, "RIGHTSFIRST_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    mode, ids = json.loads(result.stdout.strip().splitlines()[-1])
    assert mode == expected_mode
    assert (ids == ["rightsfirst.E106"]) is refused
