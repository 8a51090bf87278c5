"""Settings for the case-management application, read from the environment.

RIGHTSFIRST_DATA_DIR  where the SQLite database and key files live (default: ./var)
DATABASE_URL          use this database instead (e.g. postgres://user@127.0.0.1:5432/rightsfirst)
RIGHTSFIRST_MASTER_KEY the master key for identity encryption (base64, 32 bytes); else a key file
RIGHTSFIRST_RETIRED_MASTER_KEYS earlier master keys still needed to read (base64, comma-separated)
RIGHTSFIRST_INDEX_KEY  the blind-index root key for person search (base64, 32 bytes); else a key file
DJANGO_SECRET_KEY     Django's signing key; else a key file
RIGHTSFIRST_DEBUG     1 to show Django's debug pages (never in production)
RIGHTSFIRST_ALLOWED_HOSTS comma-separated host names (default: localhost names only)
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
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "rightsfirst.web.middleware.SessionLimitMiddleware",
    "rightsfirst.web.middleware.NoStoreMiddleware",
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
    }


DATABASES = {"default": _database()}

# Argon2id first; the others only to read (and upgrade at the next sign-in) older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

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

# Server-side sessions (database). A session ends after 30 minutes without a request (the
# cookie's age is renewed on every request) and in any case 10 hours after sign-in (a working
# day), at sign-out, at a password change (Django's session hash) and when the account is
# deactivated (inactive users are not loaded).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
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

RIGHTSFIRST_MASTER_KEY_FILE = DATA_DIR / "master.key"
# Master keys that were replaced, kept (one `<key id>.key` file each) until no case key needs them.
RIGHTSFIRST_RETIRED_KEYS_DIR = DATA_DIR / "retired-keys"
# The blind-index root key: separate from the master key, so that each can be replaced alone.
RIGHTSFIRST_INDEX_KEY_FILE = DATA_DIR / "index.key"
RIGHTSFIRST_AUDIT_KEY_FILE = DATA_DIR / "audit.key"
# The jurisdiction profile the engine applies (see `rightsfirst framework parameters`).
RIGHTSFIRST_PROFILE = os.environ.get("RIGHTSFIRST_PROFILE", "international")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
