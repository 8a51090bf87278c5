"""Connection set-up (SQLite in WAL mode, so readers never wait for the writer) and the audit
entries for signing in and out."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.backends.signals import connection_created
from django.dispatch import receiver


@receiver(connection_created)
def _sqlite_pragmas(sender, connection, **kwargs):  # type: ignore[no-untyped-def]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")


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
