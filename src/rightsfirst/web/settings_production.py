"""Production settings: everything in settings.py, plus HTTPS-only cookies and transport headers.

Use with DJANGO_SETTINGS_MODULE=rightsfirst.web.settings_production behind a TLS-terminating
proxy that sets X-Forwarded-Proto. `rightsfirst manage check --deploy` is clean with these.
"""

import os

from rightsfirst.web.checks import is_remote_postgresql
from rightsfirst.web.settings import *  # noqa: F403
from rightsfirst.web.settings import (
    ALLOWED_HOSTS,
    DATABASES,
    security_key_roles_from_environment,
    webauthn_origins_from_environment,
    webauthn_relying_party,
)

DEBUG = False
SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# A remote PostgreSQL server is reached only with its certificate and host name verified, unless
# DATABASE_URL names a mode itself (the deploy check then refuses anything weaker).
for _database_settings in DATABASES.values():
    if is_remote_postgresql(_database_settings):
        _database_settings.setdefault("OPTIONS", {}).setdefault("sslmode", "verify-full")

# Coordinators, administrators and oversight sign in with a security key (SEC-5, ASVS 6.3.3): their
# accounts reach many cases or the whole audit log, so a phished password and code must not be enough.
RIGHTSFIRST_SECURITY_KEY_ROLES = security_key_roles_from_environment(
    frozenset({"coordinator", "administrator", "oversight"})
)
# Keys answer only over HTTPS, for the allowed host names (unless named in the environment).
_DEFAULT_RP_ID, _DEFAULT_ORIGINS = webauthn_relying_party(ALLOWED_HOSTS, "https")
RIGHTSFIRST_WEBAUTHN_RP_ID = os.environ.get("RIGHTSFIRST_WEBAUTHN_RP_ID", "").strip() or _DEFAULT_RP_ID
RIGHTSFIRST_WEBAUTHN_ORIGIN = webauthn_origins_from_environment(_DEFAULT_ORIGINS)
OTP_WEBAUTHN_RP_ID = RIGHTSFIRST_WEBAUTHN_RP_ID
OTP_WEBAUTHN_ALLOWED_ORIGINS = RIGHTSFIRST_WEBAUTHN_ORIGIN
