"""Settings for the case-management application, read from the environment.

RIGHTSFIRST_DATA_DIR  where the SQLite database and key files live (default: ./var)
DATABASE_URL          use this database instead (e.g. postgres://user@127.0.0.1:5432/rightsfirst)
RIGHTSFIRST_MASTER_KEY the master key for identity encryption (base64, 32 bytes); else a key file
RIGHTSFIRST_BACKUP_KEY the key that encrypts backups (base64, 32 bytes); else a key file
RIGHTSFIRST_RETIRED_MASTER_KEYS earlier master keys still needed to read (base64, comma-separated)
RIGHTSFIRST_INDEX_KEY  the blind-index root key for person search (base64, 32 bytes); else a key file
DJANGO_SECRET_KEY     Django's signing key; else a key file
RIGHTSFIRST_DEBUG     1 to show Django's debug pages (never in production)
RIGHTSFIRST_ALLOWED_HOSTS comma-separated host names (default: localhost names only)
RIGHTSFIRST_RETENTION_* retention periods (see RETENTION_DEFAULTS below)
RIGHTSFIRST_API_RATE  requests one API token may make, e.g. 120/minute (default), 0 for no limit
RIGHTSFIRST_SECURITY_KEY_ROLES roles that must sign in with a security key (comma-separated, or "none")
RIGHTSFIRST_WEBAUTHN_RP_ID the domain security keys are registered for (default: from ALLOWED_HOSTS)
RIGHTSFIRST_WEBAUTHN_ORIGIN the address(es) users open, e.g. https://cases.example.org (comma-separated)
RIGHTSFIRST_PASSWORD_HASHES_AT_ONCE passwords one worker process hashes at once (default 1; 100 MiB each)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

from rightsfirst.web.keys import read_or_create_secret

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("RIGHTSFIRST_DATA_DIR", Path.cwd() / "var")).resolve()

DEBUG = os.environ.get("RIGHTSFIRST_DEBUG") == "1"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or read_or_create_secret(DATA_DIR / "django-secret.key")
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("RIGHTSFIRST_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "axes",
    "django_htmx",
    "js_lib_htmx",
    "rightsfirst.web.apps.WebConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "rightsfirst.web.middleware.SessionLimitMiddleware",
    "rightsfirst.web.two_factor.SecondFactorRequiredMiddleware",
    "rightsfirst.web.middleware.NoStoreMiddleware",
    # Last, so that it sees the sign-in page's response and can keep it for a locked-out attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "rightsfirst.web.urls"
WSGI_APPLICATION = "rightsfirst.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rightsfirst.web.context.membership",
            ],
        },
    },
]
# Form widgets render through Jinja2 (Django's own widget templates for it): on a page of radio
# buttons and selects, rendering each option through the Django template engine took a fifth of
# the request's CPU. Pages stay Django templates; a widget with a template of its own says which
# renderer it needs (two_factor.ConfirmationInput).
FORM_RENDERER = "django.forms.renderers.Jinja2"


def _database() -> Any:
    url = os.environ.get("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        if config["ENGINE"].endswith("postgresql"):
            # JIT compilation costs more than it saves on these short queries (~100 ms on the case list).
            config.setdefault("OPTIONS", {})["options"] = "-c jit=off"
        return config
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "rightsfirst.sqlite3",
        # IMMEDIATE: a writing transaction takes the lock at its start, so two writers queue
        # instead of one failing half-way (WAL is set per connection in signals.py).
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        # Each server thread keeps its connection (up to a minute, checked before reuse), as on
        # PostgreSQL: opening one per request, with its pragmas and SQLite reading the schema,
        # cost 1.5-3 ms of CPU, 9-21% of a page's (docs/performance.md).
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


DATABASES = {"default": _database()}

# Argon2id first (Django's parameters: 100 MiB per hash, hashes computed one at a time per process,
# see hashers.py); the others only to read (and upgrade at the next sign-in) older hashes.
PASSWORD_HASHERS = [
    "rightsfirst.web.hashers.BoundedArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


def hashes_at_once_from_environment() -> int:
    """How many passwords one worker process hashes or checks at once (each holds 100 MiB meanwhile)."""
    raw = os.environ.get("RIGHTSFIRST_PASSWORD_HASHES_AT_ONCE", "").strip() or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"RIGHTSFIRST_PASSWORD_HASHES_AT_ONCE={raw!r}: expected a whole number from 1 to 64 (default 1)"
        )
    return int(raw)


RIGHTSFIRST_PASSWORD_HASHES_AT_ONCE = hashes_at_once_from_environment()

# django-axes first: it refuses attempts from a locked-out name and address before a password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the user's membership with the user (backends.py).
    "rightsfirst.web.backends.MembershipModelBackend",
]

# Repeated failed sign-ins: after 6 failures for the same user name from the same address, that
# pair is locked for 15 minutes. Locking by name alone would let anyone lock staff out at will by
# typing their names; guessing from many addresses still meets the second factor. A locked-out
# attempt gets exactly the page a wrong password gets (no account enumeration).
AXES_FAILURE_LIMIT = 6
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "rightsfirst.web.throttling.locked_out_response"
AXES_CLIENT_IP_CALLABLE = "rightsfirst.web.throttling.client_address"
AXES_USERNAME_CALLABLE = "rightsfirst.web.throttling.attempted_username"
# Our own audit log records sign-ins; axes keeps only the failure counters it needs.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# One-time codes: 1, 2, 4, 8 ... seconds between attempts after failures; a code is accepted once.
OTP_TOTP_ISSUER = "Rightsfirst"
OTP_TOTP_THROTTLE_FACTOR = 1


def security_key_roles_from_environment(default: frozenset[str]) -> frozenset[str]:
    """RIGHTSFIRST_SECURITY_KEY_ROLES: role names separated by commas, "none", or unset (the default)."""
    from rightsfirst.web.roles import Role

    raw = os.environ.get("RIGHTSFIRST_SECURITY_KEY_ROLES", "").strip()
    if not raw:
        return default
    if raw.lower() == "none":
        return frozenset()
    names = frozenset(part.strip() for part in raw.split(",") if part.strip())
    unknown = sorted(names - {role.value for role in Role})
    if unknown:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"RIGHTSFIRST_SECURITY_KEY_ROLES={raw!r}: unknown role(s) {', '.join(unknown)}; "
            f"expected some of {', '.join(role.value for role in Role)}, or none"
        )
    return names


def _is_domain(host: str) -> bool:
    return bool(host) and host != "*" and not host.startswith("[") and not host.replace(".", "").isdigit()


def webauthn_relying_party(hosts: list[str], scheme: str, port: str = "") -> tuple[str, list[str]]:
    """The relying party id and the origins security keys answer to, from the allowed host names.

    The id is the first host that is a domain name (an address like 127.0.0.1 cannot be one; a
    wildcard ".example.org" gives example.org); the origins are the named hosts at or under it,
    with the scheme (and port) users open.
    """
    named = [host for host in hosts if not host.startswith(".") and _is_domain(host)]
    wildcards = [host[1:] for host in hosts if host.startswith(".") and _is_domain(host[1:])]
    rp_id = (named + wildcards or ["localhost"])[0]
    suffix = f":{port}" if port else ""
    origins = [f"{scheme}://{host}{suffix}" for host in named if host == rp_id or host.endswith("." + rp_id)]
    return rp_id, origins or [f"{scheme}://{rp_id}{suffix}"]


def webauthn_origins_from_environment(default: list[str]) -> list[str]:
    """RIGHTSFIRST_WEBAUTHN_ORIGIN: one or more origins (scheme, host and port), comma-separated."""
    raw = os.environ.get("RIGHTSFIRST_WEBAUTHN_ORIGIN", "")
    return [origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip()] or default


# Security keys (WebAuthn, security_keys.py). Roles listed here must use one to sign in: in these
# development and demonstration settings none does, because the demo users have no hardware key
# (settings_production.py names coordinator, administrator and oversight).
RIGHTSFIRST_SECURITY_KEY_ROLES = security_key_roles_from_environment(frozenset())
# The relying party: keys registered here work only for this domain (and its subdomains), and an
# answer signed for any other origin is refused, which is what makes keys phishing-resistant.
# In development: localhost (a browser accepts keys on http://localhost, not on 127.0.0.1).
_DEFAULT_RP_ID, _DEFAULT_ORIGINS = webauthn_relying_party(ALLOWED_HOSTS, "http", "8000")
RIGHTSFIRST_WEBAUTHN_RP_ID = os.environ.get("RIGHTSFIRST_WEBAUTHN_RP_ID", "").strip() or _DEFAULT_RP_ID
RIGHTSFIRST_WEBAUTHN_ORIGIN = webauthn_origins_from_environment(_DEFAULT_ORIGINS)
# django-otp-webauthn reads its own names: its models, its checks and our helper (security_keys.py).
OTP_WEBAUTHN_RP_ID = RIGHTSFIRST_WEBAUTHN_RP_ID
OTP_WEBAUTHN_RP_NAME = "Rightsfirst"
OTP_WEBAUTHN_ALLOWED_ORIGINS = RIGHTSFIRST_WEBAUTHN_ORIGIN
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_CREDENTIAL_MODEL = "casework.SecurityKey"
OTP_WEBAUTHN_ATTESTATION_MODEL = "casework.SecurityKeyAttestation"
OTP_WEBAUTHN_HELPER_CLASS = "rightsfirst.web.security_keys.KeyHelper"
OTP_WEBAUTHN_TIMEOUT_SECONDS = 120

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("RIGHTSFIRST_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Plain storage: pages work without a collectstatic step (`make run`, tests). A production
    # deployment that runs collectstatic can switch to whitenoise's manifest storage for
    # cache-busting names (RIGHTSFIRST_STATIC_MANIFEST=1).
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if os.environ.get("RIGHTSFIRST_STATIC_MANIFEST") == "1"
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Tests and the development server serve straight from the packages (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Server-side sessions (database). A session ends after 30 minutes without a request (activity
# renews it, at most once a minute: SessionLimitMiddleware) and in any case 10 hours after
# sign-in (a working day), at sign-out, at a password change (Django's session hash) and when the
# account is deactivated (inactive users are not loaded).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
RIGHTSFIRST_SESSION_RENEW_SECONDS = 60
RIGHTSFIRST_SESSION_ABSOLUTE_SECONDS = 10 * 60 * 60
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy: only our own scripts and styles, no inline code, no framing, no
# third-party hosts. The interactive API documentation (Swagger UI, served locally) needs
# eval-style code and is the one page without the policy; it shows no personal data.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# The two-person rule (approvals.py): an approval is good for one use within this many hours.
RIGHTSFIRST_APPROVAL_HOURS = 24


def whole_number_from_environment(name: str, default: int, minimum: int, maximum: int) -> int:
    """A whole-number setting from the environment variable `name`, or the default when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not minimum <= int(raw) <= maximum:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name}={raw!r}: expected a whole number from {minimum} to {maximum}")
    return int(raw)


# Emergency ("break-glass") access (emergency.py): how long one opening lasts, and how many a user
# may hold at once or start in 24 hours before each further one needs a second person's approval.
# Small on purpose: the limits are what keep an insider from using it to look for someone.
RIGHTSFIRST_EMERGENCY_ACCESS_MINUTES = whole_number_from_environment(
    "RIGHTSFIRST_EMERGENCY_ACCESS_MINUTES", 60, 5, 12 * 60
)
RIGHTSFIRST_EMERGENCY_ACCESS_AT_ONCE = whole_number_from_environment("RIGHTSFIRST_EMERGENCY_ACCESS_AT_ONCE", 2, 1, 10)
RIGHTSFIRST_EMERGENCY_ACCESS_PER_DAY = whole_number_from_environment("RIGHTSFIRST_EMERGENCY_ACCESS_PER_DAY", 3, 1, 20)
# Oversight alerts (oversight.py): patterns an insider looking for someone would leave.
RIGHTSFIRST_ALERT_MASS_VIEWS = 30  # cases or identities opened by one user ...
RIGHTSFIRST_ALERT_MASS_WINDOW_MINUTES = 10  # ... within this many minutes
RIGHTSFIRST_ALERT_EMPTY_SEARCHES = 3  # searches for a person that find no case of one's own, per hour
# Identity opened outside these local hours (start, end), or at the weekend, is reported.
RIGHTSFIRST_WORKING_HOURS = (7, 20)

# Monitoring (docs/monitoring.md): no published count is below the minimum cell (10: the
# practice for small, high-harm populations); zeros are published unless RIGHTSFIRST_SUPPRESS_ZEROS=1.
RIGHTSFIRST_MINIMUM_CELL = whole_number_from_environment("RIGHTSFIRST_MINIMUM_CELL", 10, 3, 100)
RIGHTSFIRST_SUPPRESS_ZEROS = os.environ.get("RIGHTSFIRST_SUPPRESS_ZEROS") == "1"
# How long the monitoring pages reuse the records and releases they computed, in seconds.
RIGHTSFIRST_MONITORING_CACHE_SECONDS = whole_number_from_environment(
    "RIGHTSFIRST_MONITORING_CACHE_SECONDS", 300, 0, 24 * 3600
)
# Differentially private releases (`rightsfirst report --noise`): the total epsilon each budget may
# spend over the deployment's life (the ledger is in the database). A budget not listed here
# cannot be spent.
RIGHTSFIRST_PRIVACY_BUDGETS = {"national-report": 3.0}

RIGHTSFIRST_MASTER_KEY_FILE = DATA_DIR / "master.key"
# Master keys that were replaced, kept (one `<key id>.key` file each) until no case key needs them.
RIGHTSFIRST_RETIRED_KEYS_DIR = DATA_DIR / "retired-keys"
# The blind-index root key: separate from the master key, so that each can be replaced alone.
RIGHTSFIRST_INDEX_KEY_FILE = DATA_DIR / "index.key"
RIGHTSFIRST_AUDIT_KEY_FILE = DATA_DIR / "audit.key"
# Signs the audit log's anchors (audit.make_anchor); keep a copy of the public key with the anchors.
RIGHTSFIRST_ANCHOR_KEY_FILE = DATA_DIR / "anchor.key"
# Encrypts backups only (key separation): `rightsfirst backup` creates it on first use.
RIGHTSFIRST_BACKUP_KEY_FILE = DATA_DIR / "backup.key"
# The jurisdiction profile the engine applies (see `rightsfirst framework parameters`).
RIGHTSFIRST_PROFILE = os.environ.get("RIGHTSFIRST_PROFILE", "international")

# Retention: how long each kind of record is kept (docs/application.md, "Retention and erasure",
# gives the reasons for each default). `rightsfirst manage apply_retention` applies it. Each value
# can be set from the environment as RIGHTSFIRST_RETENTION_<KEY> (e.g. ..._CLOSED_CASE_YEARS=10).
RETENTION_DEFAULTS = {
    # Identity and notes of a case closed after it went beyond screening, counted from closure.
    "closed_case_years": 6,
    # A case closed at screening (the person was never found a presumed victim): shorter.
    "screening_only_years": 2,
    # Audit entries hold no identity; kept longest (reported by apply_retention, never deleted by it).
    "audit_log_years": 10,
    # Expired sign-in sessions, counted from their expiry.
    "expired_session_days": 0,
    # django-axes failed sign-in records (names tried, addresses, browsers).
    "sign_in_failure_days": 30,
}
# The smallest value each may take: a period of 0 would erase a case the day it closes, or
# forget a lockout while it is running.
RETENTION_MINIMUMS = {
    "closed_case_years": 1,
    "screening_only_years": 1,
    "audit_log_years": 1,
    "expired_session_days": 0,
    "sign_in_failure_days": 1,
}


def retention_from_environment() -> dict[str, int]:
    """The retention periods: the defaults, each replaced by its environment variable if set."""
    values = {}
    for key, default in RETENTION_DEFAULTS.items():
        name = f"RIGHTSFIRST_RETENTION_{key.upper()}"
        raw = os.environ.get(name, "").strip()
        if not raw:
            values[key] = default
            continue
        minimum = RETENTION_MINIMUMS[key]
        if not raw.isdigit() or int(raw) < minimum:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(f"{name}={raw!r}: expected a whole number, at least {minimum}")
        values[key] = int(raw)
    return values


RIGHTSFIRST_RETENTION = retention_from_environment()

RATE_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def api_rate_from_environment() -> tuple[int, int] | None:
    """(requests, seconds) one API token may make; None when RIGHTSFIRST_API_RATE is 0.

    A token copied off an integration server could otherwise page through every case its user
    may see in seconds; the limit turns that into hours and leaves a trail of refusals.
    """
    raw = os.environ.get("RIGHTSFIRST_API_RATE", "").strip() or "120/minute"
    if raw == "0":
        return None
    count, _, period = raw.partition("/")
    if not count.isdigit() or int(count) < 1 or period not in RATE_PERIODS:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"RIGHTSFIRST_API_RATE={raw!r}: expected <requests>/<{'|'.join(RATE_PERIODS)}>, e.g. 120/minute, "
            "or 0 for no limit"
        )
    return int(count), RATE_PERIODS[period]


# Counted per process in the default (local-memory) cache: with N processes a token can make up
# to N times this many requests. Configure a shared CACHES backend for one exact count.
RIGHTSFIRST_API_RATE = api_rate_from_environment()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
