"""Connection set-up (SQLite: WAL, durable commits, overwritten deletions) and the audit
entries for signing in and out."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.backends.signals import connection_created
from django.dispatch import receiver

# Set on every new SQLite connection (these settings belong to the connection, not the file,
# except journal_mode, which WAL makes persistent).
SQLITE_PRAGMAS = (
    # Readers never wait for the writer, and a crashed process leaves no half-written page.
    ("journal_mode", "WAL"),
    # FULL: the write-ahead log is synced at every commit, so a transaction that was
    # acknowledged survives a power cut or an operating-system crash as well as a killed
    # process (NORMAL may lose the last commits then).
    ("synchronous", "FULL"),
    ("foreign_keys", "ON"),
    # Wait up to 5 s for another writer's lock instead of failing at once.
    ("busy_timeout", "5000"),
    # Erased rows (a deleted identity, an old data key) are overwritten with zeros in the file,
    # rather than left readable in free pages until reused.
    ("secure_delete", "ON"),
)


@receiver(connection_created)
def _sqlite_pragmas(sender, connection, **kwargs):  # type: ignore[no-untyped-def]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for name, value in SQLITE_PRAGMAS:
                cursor.execute(f"PRAGMA {name}={value}")


@receiver(user_logged_in)
def _audit_sign_in(sender, request, user, **kwargs):  # type: ignore[no-untyped-def]
    from rightsfirst.web import audit

    # The password step only: sign-in completes with the second factor (two_factor.verify_sign_in).
    audit.record(user, "auth.password_accepted")


@receiver(user_logged_out)
def _audit_sign_out(sender, request, user, **kwargs):  # type: ignore[no-untyped-def]
    from rightsfirst.web import audit

    if user is not None:
        audit.record(user, "auth.sign_out")


@receiver(user_login_failed)
def _audit_failed_sign_in(sender, credentials, request=None, **kwargs):  # type: ignore[no-untyped-def]
    from rightsfirst.web import audit

    # The name tried, never the password (Django already masks it in `credentials`).
    audit.record(None, "auth.sign_in_failed", target=str(credentials.get("username", ""))[:150])
