"""`rightsfirst backup create|verify|restore`: encrypted, verifiable backups of the database."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from rightsfirst.web import backup

HELP = """\
Encrypted, verifiable backups of the application's database (SQLite, or PostgreSQL when DATABASE_URL is set).

  rightsfirst backup create FILE             write a new backup to FILE (never overwrites a file)
  rightsfirst backup verify FILE [--deep]    authenticate every part of FILE; --deep also restores it into a
                                             temporary database and compares every table with its manifest
  rightsfirst backup restore FILE [--force]  restore FILE into the configured database, which must be empty
                                             unless --force is given (the same: rightsfirst restore FILE)

Keys: a backup is encrypted with the backup key, from RIGHTSFIRST_BACKUP_KEY (base64, 32 bytes) or the
key file DATA_DIR/backup.key, which the first backup creates. A backup holds NO key. Back up the backup
key, the master key (identities) and the audit key separately, and keep them apart from the backups: a
backup stolen together with its keys discloses every person in it. Without the backup key no backup can
be read; without the master key no identity in it can be read.

Exit codes: 0 done; 1 the backup is altered, truncated or reordered, or what was restored does not match
it, or the restored audit log does not verify; 2 refused (not a backup, unknown format, wrong or missing
key, target not empty, file exists); 3 a database, tool or disk error.
"""


class Command(BaseCommand):
    help = HELP
    # The restore target may be empty or not yet migrated: no check may need the database.
    requires_system_checks: list[str] = []

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        parser: CommandParser = super().create_parser(prog_name, subcommand, **kwargs)
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="create|verify|restore")
        create = actions.add_parser("create", help="write a new, encrypted backup of the configured database")
        create.add_argument("file", type=Path, help="the backup file to write (must not exist)")
        verify = actions.add_parser("verify", help="check a backup without restoring it")
        verify.add_argument("file", type=Path)
        verify.add_argument(
            "--deep",
            action="store_true",
            help="also restore it into a temporary database and compare every table with the manifest",
        )
        restore = actions.add_parser("restore", help="restore a backup into the configured, empty database")
        restore.add_argument("file", type=Path)
        restore.add_argument(
            "--force",
            action="store_true",
            help="replace what the configured database holds (it is named, with its tables and rows, first)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                self._create(options["file"])
            elif options["action"] == "verify":
                self._verify(options["file"], options["deep"])
            else:
                self._restore(options["file"], options["force"])
        except backup.BackupError as error:
            raise CommandError(str(error), returncode=error.exit_code) from None
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            raise CommandError(f"{where}{error.strerror or error}", returncode=backup.EXIT_FAILED) from None
        except DatabaseError as error:
            raise CommandError(f"database error: {error}", returncode=backup.EXIT_FAILED) from None
        except CommandError:
            raise
        except Exception as error:
            if os.environ.get("RIGHTSFIRST_DEBUG"):
                raise
            raise CommandError(
                f"internal error ({type(error).__name__}: {error}); run again with RIGHTSFIRST_DEBUG=1 for details",
                returncode=backup.EXIT_FAILED,
            ) from None

    def _database(self) -> backup.Database:
        return backup.database_from_settings(connections[DEFAULT_DB_ALIAS].settings_dict)

    def _create(self, file: Path) -> None:
        key = backup.load_backup_key(create=True)
        if key.created:
            self.stdout.write(
                f"Created a new backup key at {key.source} (key id {key.id}). Copy it now to safe storage, "
                "apart from the backups: without it no backup can be read."
            )
        summary = backup.create_backup(file, self._database(), key.key)
        self.stdout.write(
            f"Backup written: {summary.path} ({summary.size} bytes, {summary.tables} tables, {summary.rows} rows, "
            f"{summary.header['vendor']}, backup key id {key.id})."
        )
        data_dir = Path(settings.DATA_DIR).resolve()
        if summary.path.resolve().is_relative_to(data_dir):
            self.stdout.write(
                f"Warning: the backup is inside the data directory {data_dir}, next to the key files. "
                "Move it elsewhere: a backup and its keys must be kept apart."
            )
        self.stdout.write(
            "It holds no key: keep the backup key, the master key and the audit key backed up separately."
        )

    def _verify(self, file: Path, deep: bool) -> None:
        key = backup.load_backup_key(create=False)
        database = self._database() if deep else None
        work_dir = database.path.parent if database is not None and database.path is not None else None
        server = database if database is not None and database.vendor == "postgresql" else None
        summary = backup.verify_backup(file, key.key, deep=deep, work_dir=work_dir, server=server)
        header = summary.header
        self.stdout.write(
            f"{file}: intact. A backup of a {header['vendor']} database made {header['created']} by Rightsfirst "
            f"{header['application_version']} with backup key id {header['key_id']}; {summary.chunks} chunk(s) "
            f"authenticated; {summary.tables} tables, {summary.rows} rows in the manifest."
        )
        if deep:
            self.stdout.write("Restored into a temporary database: every table matches the manifest.")

    def _restore(self, file: Path, force: bool) -> None:
        key = backup.load_backup_key(create=False)
        database = self._database()
        connections.close_all()
        summary = backup.restore_backup(file, key.key, database, force=force, notify=self.stdout.write)
        self.stdout.write(
            f"Restored {file} (made {summary.header['created']}) into {database.describe()}: "
            f"{summary.tables} tables, {summary.rows} rows; every table matches the backup's manifest."
        )
        connections.close_all()
        self._check_identity_key()
        self._check_audit_log()

    def _check_identity_key(self) -> None:
        from rightsfirst.web import crypto
        from rightsfirst.web.models import Case

        if not (os.environ.get("RIGHTSFIRST_MASTER_KEY") or Path(settings.RIGHTSFIRST_MASTER_KEY_FILE).is_file()):
            self.stdout.write(
                "Identities NOT checked: no master key here (RIGHTSFIRST_MASTER_KEY or "
                f"{settings.RIGHTSFIRST_MASTER_KEY_FILE}). Put the master key back before starting the application: "
                "without it no identity can be read."
            )
            return
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            # Each case's data key is wrapped by a master key; erased cases have none left.
            cursor.execute(
                f"SELECT master_key_id, COUNT(*) FROM {Case._meta.db_table} "  # nosec B608  # model's table name
                "WHERE master_key_id <> '' GROUP BY master_key_id"
            )
            counts = dict(cursor.fetchall())
        current = crypto.master_key_id()
        ring = crypto.key_ring()
        readable = {ring.active_id, *ring.retired}
        others = {name: count for name, count in counts.items() if name not in readable}
        if others:
            listed = ", ".join(f"{count} with key id {name}" for name, count in sorted(others.items()))
            self.stdout.write(
                f"Warning: identities were encrypted under a master key that is not here ({listed}); the configured "
                f"master key has id {current}. Put the right master key in place before starting the application."
            )
        else:
            self.stdout.write(f"Identities: {sum(counts.values())}, all under the configured master key ({current}).")

    def _check_audit_log(self) -> None:
        from rightsfirst.web import audit
        from rightsfirst.web.models import AuditEvent

        if not (os.environ.get("RIGHTSFIRST_AUDIT_KEY") or Path(settings.RIGHTSFIRST_AUDIT_KEY_FILE).is_file()):
            self.stdout.write(
                "Audit log NOT checked: no audit key here (RIGHTSFIRST_AUDIT_KEY or "
                f"{settings.RIGHTSFIRST_AUDIT_KEY_FILE}). Put it back, then run `rightsfirst audit verify`."
            )
            return
        problems = audit.verify()
        if not problems:
            self.stdout.write(f"Audit log intact: {AuditEvent.objects.count()} entries, chain and hashes verified.")
            return
        for item in problems[:10]:
            where = f"entry {item.sequence}" if item.sequence is not None else "an entry without a number"
            self.stdout.write(f"{where} (row id {item.entry_id}): {item.problem}")
        raise CommandError(
            f"restored, but the audit log does NOT verify: {len(problems)} problem(s) (the wrong audit key, or "
            "entries altered before the backup was made); `rightsfirst audit verify` lists them all",
            returncode=backup.EXIT_DAMAGED,
        )
