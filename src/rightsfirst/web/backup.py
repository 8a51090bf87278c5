"""Encrypted, verifiable backups of the application's database, and restoring them.

A backup is one file:

    MAGIC | header length (4 bytes) | header (JSON) | header tag (16 bytes) | chunk | chunk | ...

The header says what the file is (format version, backup key id, database vendor, creation
time, application version). It is not secret, but it is authenticated: its tag is an AES-GCM tag
over the header, and every chunk's associated data is the header's digest. Each chunk is
`length (4 bytes) | AES-256-GCM ciphertext and tag` of up to `chunk_size` bytes of the stream.
The key that encrypts a file is derived (HKDF-SHA256) from the backup key and a random salt in
the header, so no two files share a key and a chunk's nonce can simply be its index plus a
"last chunk" flag (the STREAM construction): a changed byte, a chunk moved, removed, repeated or
taken from another backup, a cut-off end or bytes appended all fail authentication, and the
reader says which.

The decrypted stream is `manifest length (8 bytes) | manifest (JSON) | database`, where the
database is a SQLite file (an online-backup snapshot, never a copy of the live file) or a
plain-SQL pg_dump, and the manifest holds, for every table, its row count and a SHA-256 over
its rows in primary-key order, computed from the very snapshot that was saved. Deep
verification and restore recompute it.

A backup never holds a key. The master key (identity), the audit key and the backup key are
kept, and backed up, separately and apart from the backups: a backup with its keys is a full
disclosure; a backup without its backup key cannot be read at all.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import shutil
import sqlite3
import struct
import subprocess  # nosec B404  # only fixed PostgreSQL client tools, argument lists, never a shell
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from rightsfirst.web.keys import read_or_create_key

if TYPE_CHECKING:
    import psycopg

MAGIC = b"RIGHTSFIRST-BACKUP\n\x00"
FORMAT = "rightsfirst-backup"
FORMAT_VERSION = 1
CHUNK_SIZE = 1 << 20
MAX_CHUNK_SIZE = 64 << 20
MAX_HEADER_BYTES = 64 * 1024
MAX_MANIFEST_BYTES = 256 << 20
TAG_BYTES = 16
KEY_BYTES = 32
SALT_BYTES = 32
# Chunk nonces end in 0 or 1 (the "last chunk" flag), so this one can never be a chunk's.
HEADER_NONCE = b"\xff" * 12
KEY_ENV = "RIGHTSFIRST_BACKUP_KEY"
READ_BLOCK = 1 << 20

EXIT_DAMAGED = 1
EXIT_REFUSED = 2
EXIT_FAILED = 3

# libpq connection parameters Django's OPTIONS may carry, and the environment variables that
# give them to pg_dump and psql (environment, not arguments, so a password is never on a command line).
LIBPQ_ENV = {
    "dbname": "PGDATABASE",
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",  # nosec B105  # the name of libpq's environment variable, not a password
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "options": "PGOPTIONS",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


class BackupError(Exception):
    """A backup, verification or restore that did not complete; the message is one line for the user."""

    exit_code = EXIT_FAILED


class BackupRefused(BackupError):
    """Not done because of what was asked: not a backup, unknown format, wrong key, target not empty ..."""

    exit_code = EXIT_REFUSED


class BackupDamaged(BackupError):
    """The backup (or what was restored from it) is not what was written: altered, truncated, reordered."""

    exit_code = EXIT_DAMAGED


class BackupFailed(BackupError):
    """A database, tool or disk error got in the way."""

    exit_code = EXIT_FAILED


# ---------------------------------------------------------------------------------------------
# Keys


@dataclass(frozen=True)
class BackupKey:
    """The backup key, where it came from, and whether this call created it."""

    key: bytes = field(repr=False)
    source: str
    created: bool = False

    @property
    def id(self) -> str:
        """The key's fingerprint (not secret)."""
        return key_id(self.key)


def key_id(key: bytes) -> str:
    """A short, non-secret fingerprint naming a backup key (written in each backup's header)."""
    return hashlib.sha256(b"rightsfirst-backup-key-id" + key).hexdigest()[:16]


def _decode_key(text: bytes | str, where: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BackupRefused(
            f"{where}: the backup key is not base64 (it must be 32 random bytes, base64-encoded)"
        ) from None
    if len(key) != KEY_BYTES:
        raise BackupRefused(f"{where}: the backup key must be 32 bytes, base64-encoded (found {len(key)} bytes)")
    return key


def _configured_key(env: str, path: Path) -> bytes | None:
    """A key that is already configured, read without creating a key file."""
    configured = os.environ.get(env)
    if configured:
        try:
            return base64.b64decode(configured, validate=True)
        except (binascii.Error, ValueError):
            return None
    try:
        return base64.b64decode(path.read_bytes().strip(), validate=True)
    except (OSError, binascii.Error, ValueError):
        return None


def load_backup_key(create: bool) -> BackupKey:
    """The backup key: RIGHTSFIRST_BACKUP_KEY, else the key file (created only if `create`).

    Restoring or verifying never creates a key: a new key cannot read any existing backup.
    The key must differ from the master key and the audit key (key separation).
    """
    configured = os.environ.get(KEY_ENV, "").strip()
    path = Path(settings.RIGHTSFIRST_BACKUP_KEY_FILE)
    if configured:
        found = BackupKey(_decode_key(configured, KEY_ENV), KEY_ENV)
    elif path.is_file():
        found = BackupKey(_decode_key(path.read_bytes().strip(), str(path)), str(path))
    elif create:
        found = BackupKey(read_or_create_key(path), str(path), created=True)
    else:
        raise BackupRefused(f"no backup key: set {KEY_ENV} or put the backup key file at {path}")
    others = {
        "master key": _configured_key("RIGHTSFIRST_MASTER_KEY", Path(settings.RIGHTSFIRST_MASTER_KEY_FILE)),
        "audit key": _configured_key("RIGHTSFIRST_AUDIT_KEY", Path(settings.RIGHTSFIRST_AUDIT_KEY_FILE)),
    }
    for name, other in others.items():
        if other is not None and hmac.compare_digest(other, found.key):
            raise BackupRefused(
                f"the backup key ({found.source}) is the same as the {name}: give backups a key of their own"
            )
    return found


# ---------------------------------------------------------------------------------------------
# The database to back up or restore into


@dataclass(frozen=True)
class Database:
    """A database to back up or to restore into: a SQLite file, or PostgreSQL connection parameters."""

    vendor: str
    path: Path | None = None
    params: Mapping[str, str] = field(default_factory=dict, repr=False)

    def describe(self) -> str:
        """Names the database for messages (never the password)."""
        if self.vendor == "sqlite":
            return f"the SQLite database {self.path}"
        where = self.params.get("host") or "the local socket"
        port = self.params.get("port")
        return f"the PostgreSQL database {self.params.get('dbname', '?')!r} on {where}{':' + port if port else ''}"

    def with_dbname(self, name: str) -> Database:
        """The same PostgreSQL server and credentials, another database."""
        return Database(self.vendor, self.path, {**self.params, "dbname": name})


def database_from_settings(config: Mapping[str, Any]) -> Database:
    """The database Django is configured for (a `DATABASES` entry)."""
    engine = str(config.get("ENGINE", ""))
    if engine.endswith("sqlite3"):
        name = str(config.get("NAME") or "")
        if not name or name == ":memory:" or name.startswith("file:"):
            raise BackupRefused(
                "the configured SQLite database is in memory: there is no file to back up or restore into"
            )
        return Database("sqlite", path=Path(name).resolve())
    if engine.endswith("postgresql"):
        params: dict[str, str] = {
            "dbname": str(config.get("NAME") or ""),
            "user": str(config.get("USER") or ""),
            "password": str(config.get("PASSWORD") or ""),
            "host": str(config.get("HOST") or ""),
            "port": str(config.get("PORT") or ""),
        }
        for name, value in (config.get("OPTIONS") or {}).items():
            if name in LIBPQ_ENV and value not in (None, ""):
                params[name] = str(value)
        return Database("postgresql", params={name: value for name, value in params.items() if value})
    raise BackupRefused(f"backups support SQLite and PostgreSQL, not the database engine {engine!r}")


# ---------------------------------------------------------------------------------------------
# The manifest: every table's row count and a digest of its rows in primary-key order


Manifest = dict[str, Any]


def _not_json(value: Any) -> Any:
    """Values JSON has no type for, in a form that is the same for the same stored value."""
    if isinstance(value, bytes | bytearray | memoryview):
        return ["x", bytes(value).hex()]
    # Dates, times, decimals, UUIDs, intervals: their text form is exact.
    return [type(value).__name__, str(value)]


# One JSON array per row: strings, numbers, booleans and null keep their types apart (1, "1",
# 1.0 and true differ), ASCII-only escapes make it independent of the Unicode database of the
# Python that recomputes it, and the C encoder keeps it fast.
_encode_row = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), sort_keys=True, default=_not_json).encode


def _digest_rows(rows: Iterable[Sequence[Any]]) -> dict[str, Any]:
    digest = hashlib.sha256()
    count = 0
    for row in rows:
        digest.update(_encode_row(row).encode("ascii") + b"\n")
        count += 1
    return {"rows": count, "sha256": digest.hexdigest()}


def _sqlite_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        # mode=ro: never create a database where there was none.
        connection = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=30)
    else:
        connection = sqlite3.connect(path, timeout=30)
    return connection


def _text_as_stored(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def sqlite_manifest(path: Path) -> Manifest:
    """The manifest of a SQLite database file."""
    connection = _sqlite_connect(path)
    try:
        tables: dict[str, Any] = {}
        names = [
            row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        for name in names:
            columns = list(connection.execute(f"PRAGMA table_info({_sqlite_name(name)})"))
            key = [column[1] for column in sorted((column for column in columns if column[5]), key=lambda c: c[5])]
            order = ", ".join(_sqlite_name(column) for column in (key or [column[1] for column in columns]))
            query = f"SELECT * FROM {_sqlite_name(name)}" + (f" ORDER BY {order}" if order else "")  # nosec B608  # table and column names come from sqlite_master, quoted by _sqlite_name
            try:
                tables[name] = _digest_rows(connection.execute(query))
            except sqlite3.OperationalError as error:
                if "decode" not in str(error):
                    raise
                # Text that is not valid UTF-8 (SQLite does not prevent it): hashed byte for byte.
                connection.text_factory = _text_as_stored
                tables[name] = _digest_rows(connection.execute(query))
                connection.text_factory = str
        return {"tables": tables}
    finally:
        connection.close()


def postgres_manifest(connection: psycopg.Connection[Any]) -> Manifest:
    """The manifest of the PostgreSQL database behind `connection`, in its current transaction."""
    from psycopg import sql

    tables: dict[str, Any] = {}
    found = connection.execute(
        "SELECT n.nspname, c.relname, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' "
        "ORDER BY 1, 2"
    ).fetchall()
    for number, (schema, name, oid) in enumerate(found):
        key = connection.execute(
            "SELECT a.attname, a.attcollation <> 0 FROM pg_index i "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = %s AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)",
            [oid],
        ).fetchall()
        table = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))
        order: sql.Composable
        if key:
            # Text keys in byte order ("C"), so that databases with different collations agree.
            order = sql.SQL(", ").join(
                sql.SQL('{} COLLATE "C"' if collatable else "{}").format(sql.Identifier(column))
                for column, collatable in key
            )
        else:
            order = sql.SQL('row_to_json(t)::text COLLATE "C"')
        query = sql.SQL("SELECT * FROM {} AS t ORDER BY {}").format(table, order)
        # A server-side cursor: rows stream, so a large table need not fit in memory.
        with connection.cursor(name=f"rightsfirst_manifest_{number}") as cursor:
            cursor.itersize = 2000
            cursor.execute(query)
            tables[f"{schema}.{name}"] = _digest_rows(cursor)
    return {"tables": tables}


def compare_manifests(expected: Manifest, actual: Manifest) -> list[str]:
    """Every difference between the backup's manifest and a recomputed one (empty: identical)."""
    want, have = expected.get("tables", {}), actual.get("tables", {})
    problems = []
    for name in sorted(set(want) | set(have)):
        if name not in have:
            problems.append(f"table {name} is missing")
        elif name not in want:
            problems.append(f"table {name} is not in the backup")
        elif want[name]["rows"] != have[name]["rows"]:
            problems.append(f"table {name} has {have[name]['rows']} rows, the backup {want[name]['rows']}")
        elif want[name]["sha256"] != have[name]["sha256"]:
            problems.append(f"table {name} has the same {have[name]['rows']} rows in number but not in content")
    return problems


def _totals(manifest: Manifest) -> tuple[int, int]:
    tables = manifest.get("tables", {})
    return len(tables), sum(int(item["rows"]) for item in tables.values())


# ---------------------------------------------------------------------------------------------
# The encrypted stream


def _file_key(key: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=b"rightsfirst backup file v1").derive(key)


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class _Encryptor:
    """Writes the header, then the plaintext it is given as authenticated chunks."""

    def __init__(self, out: IO[bytes], header: dict[str, Any], key: bytes) -> None:
        self._out = out
        self._chunk_size = int(header["chunk_size"])
        header_bytes = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
        prefix = MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes
        self._aead = AESGCM(_file_key(key, base64.b64decode(header["salt"])))
        self._aad = hashlib.sha256(prefix).digest()
        out.write(prefix + self._aead.encrypt(HEADER_NONCE, b"", prefix))
        self._buffer = bytearray()
        self.chunks = 0

    def write(self, data: bytes) -> None:
        """Add plaintext; full chunks go out once it is known that more follows them."""
        self._buffer += data
        # Strictly more than a chunk: the last chunk is only known (and flagged) at close().
        while len(self._buffer) > self._chunk_size:
            self._emit(bytes(self._buffer[: self._chunk_size]), last=False)
            del self._buffer[: self._chunk_size]

    def close(self) -> None:
        """Write the final chunk (flagged as last; it may be empty)."""
        self._emit(bytes(self._buffer), last=True)
        self._buffer.clear()

    def _emit(self, plaintext: bytes, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self.chunks, last), plaintext, self._aad)
        self._out.write(struct.pack(">I", len(sealed)))
        self._out.write(sealed)
        self.chunks += 1


def _read_exact(handle: IO[bytes], size: int) -> bytes:
    data = handle.read(size)
    while len(data) < size:
        more = handle.read(size - len(data))
        if not more:
            break
        data += more
    return data


@dataclass
class _Cipher:
    header: dict[str, Any]
    aead: AESGCM
    aad: bytes
    chunk_size: int
    chunks: int = 0


def _read_header(handle: IO[bytes], key: bytes) -> _Cipher:
    magic = _read_exact(handle, len(MAGIC))
    if magic != MAGIC:
        if magic and MAGIC.startswith(magic):
            raise BackupDamaged("truncated: the file ends inside its header")
        raise BackupRefused("not a Rightsfirst backup (unknown format)")
    raw_length = _read_exact(handle, 4)
    if len(raw_length) < 4:
        raise BackupDamaged("truncated: the file ends inside its header")
    (length,) = struct.unpack(">I", raw_length)
    if not 0 < length <= MAX_HEADER_BYTES:
        raise BackupDamaged(f"altered or damaged: the header length ({length} bytes) is impossible")
    header_bytes = _read_exact(handle, length)
    if len(header_bytes) < length:
        raise BackupDamaged("truncated: the file ends inside its header")
    try:
        header = json.loads(header_bytes)
    except ValueError:
        raise BackupDamaged("altered or damaged: the header is not readable") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupRefused("not a Rightsfirst backup (unknown format)")
    if header.get("version") != FORMAT_VERSION:
        raise BackupRefused(
            f"unknown backup format version {header.get('version')!r}: this release reads version {FORMAT_VERSION} "
            "(was the backup made by a newer release?)"
        )
    try:
        salt = base64.b64decode(str(header["salt"]), validate=True)
        chunk_size = int(header["chunk_size"])
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise BackupDamaged("altered or damaged: the header lacks its salt or chunk size") from None
    if len(salt) != SALT_BYTES or not 0 < chunk_size <= MAX_CHUNK_SIZE:
        raise BackupDamaged("altered or damaged: the header's salt or chunk size is impossible")
    tag = _read_exact(handle, TAG_BYTES)
    if len(tag) < TAG_BYTES:
        raise BackupDamaged("truncated: the file ends inside its header")
    prefix = MAGIC + raw_length + header_bytes
    aead = AESGCM(_file_key(key, salt))
    try:
        aead.decrypt(HEADER_NONCE, tag, prefix)
    except InvalidTag:
        theirs = str(header.get("key_id", "?"))
        if theirs != key_id(key):
            raise BackupRefused(
                f"wrong key: the backup was made with backup key id {theirs}; "
                f"the configured backup key has id {key_id(key)}"
            ) from None
        raise BackupDamaged("altered: the header fails authentication (a field in it was changed)") from None
    return _Cipher(header, aead, hashlib.sha256(prefix).digest(), chunk_size)


_PARTIAL = -1


def _read_length(handle: IO[bytes]) -> int | None:
    """The next chunk's length; None at the end of the file, _PARTIAL if the file ends inside it."""
    raw = _read_exact(handle, 4)
    if not raw:
        return None
    if len(raw) < 4:
        return _PARTIAL
    length: int = struct.unpack(">I", raw)[0]
    return length


def _try_open(cipher: _Cipher, index: int, last: bool, sealed: bytes) -> bytes | None:
    try:
        return cipher.aead.decrypt(_nonce(index, last), sealed, cipher.aad)
    except InvalidTag:
        return None


def _chunks(handle: IO[bytes], cipher: _Cipher) -> Iterator[bytes]:
    """The authenticated plaintext of each chunk, in order; raises BackupDamaged at the first problem."""
    index = 0
    length = _read_length(handle)
    if length is None:
        raise BackupDamaged("truncated: the file ends after its header, before any data")
    while True:
        number = index + 1
        if length == _PARTIAL:
            raise BackupDamaged(f"truncated: the file ends inside chunk {number}")
        if not TAG_BYTES <= length <= cipher.chunk_size + TAG_BYTES:
            raise BackupDamaged(f"altered or damaged: chunk {number} has an impossible length ({length} bytes)")
        sealed = _read_exact(handle, length)
        if len(sealed) < length:
            raise BackupDamaged(f"truncated: the file ends inside chunk {number}")
        following = _read_length(handle)
        at_end = following is None
        plaintext = _try_open(cipher, index, at_end, sealed)
        if plaintext is None:
            if _try_open(cipher, index, not at_end, sealed) is not None:
                if at_end:
                    raise BackupDamaged(f"truncated: the file ends after chunk {number}, before its final chunk")
                raise BackupDamaged(f"altered: there are bytes after the final chunk ({number})")
            raise BackupDamaged(
                f"altered: chunk {number} fails authentication (changed bytes, or chunks reordered, "
                "removed or taken from another backup)"
            )
        if following == _PARTIAL:
            raise BackupDamaged(f"truncated: the file ends inside chunk {number + 1}")
        cipher.chunks = number
        yield plaintext
        if following is None:
            return
        index += 1
        length = following


class _Plaintext:
    """Reads the decrypted stream: exact sizes at first (the manifest), then the rest chunk by chunk."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self.payload_bytes = 0

    def read_exact(self, size: int) -> bytes:
        while len(self._buffer) < size:
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                raise BackupDamaged("damaged: the backup's content ends early") from None
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def rest(self) -> Iterator[bytes]:
        if self._buffer:
            self.payload_bytes += len(self._buffer)
            yield self._buffer
            self._buffer = b""
        for chunk in self._chunks:
            self.payload_bytes += len(chunk)
            yield chunk


@dataclass
class OpenedBackup:
    """An open backup: its authenticated header and manifest, and the database stream (read once)."""

    path: Path
    header: dict[str, Any]
    manifest: Manifest
    payload: Iterator[bytes]
    _cipher: _Cipher = field(repr=False)
    _plaintext: _Plaintext = field(repr=False)

    @property
    def chunks(self) -> int:
        """How many chunks have been authenticated so far."""
        return self._cipher.chunks

    @property
    def payload_bytes(self) -> int:
        """How many bytes of the database stream have been read so far."""
        return self._plaintext.payload_bytes


@contextlib.contextmanager
def open_backup(path: Path, key: bytes) -> Iterator[OpenedBackup]:
    """Open a backup: check its header and read its manifest; the database follows in `payload`.

    Every byte given out has been authenticated; a problem raises BackupRefused or BackupDamaged
    naming it, at the latest when the end of `payload` is reached.
    """
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed below, after the caller is done)
    except FileNotFoundError:
        raise BackupRefused(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BackupRefused(f"{path}: is a directory, not a backup file") from None
    with handle:
        cipher = _read_header(handle, key)
        plaintext = _Plaintext(_chunks(handle, cipher))
        (length,) = struct.unpack(">Q", plaintext.read_exact(8))
        if length > MAX_MANIFEST_BYTES:
            raise BackupDamaged("damaged: the manifest is impossibly large")
        try:
            manifest = json.loads(plaintext.read_exact(length))
        except ValueError:
            raise BackupDamaged("damaged: the manifest is not readable") from None
        if not isinstance(manifest, dict) or not isinstance(manifest.get("tables"), dict):
            raise BackupDamaged("damaged: the manifest has no table list")
        yield OpenedBackup(path, cipher.header, manifest, plaintext.rest(), cipher, plaintext)


# ---------------------------------------------------------------------------------------------
# Files and tools


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _private_file(path: Path) -> IO[bytes]:
    """A new file only its owner can read (never an existing one)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


@contextlib.contextmanager
def _private_directory(near: Path) -> Iterator[Path]:
    """A directory only the owner can enter (mkdtemp: 0700), removed afterwards whatever happens."""
    near.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=".rightsfirst-backup-", dir=near))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupRefused(
            f"{name} not found: install the PostgreSQL client tools (the server's major version or newer)"
        )
    return found


def _tool_error(errors: IO[bytes]) -> str:
    errors.seek(0)
    lines = [line.strip() for line in errors.read().decode("utf-8", "replace").splitlines() if line.strip()]
    important = [line for line in lines if "ERROR" in line or "FATAL" in line or "error" in line]
    return (important or lines or ["no message"])[0]


def _application_version() -> str:
    try:
        return metadata.version("rightsfirst")
    except metadata.PackageNotFoundError:
        return "unknown"


def _pg_environment(database: Database) -> dict[str, str]:
    environment = dict(os.environ)
    for name, value in database.params.items():
        if name in LIBPQ_ENV:
            environment[LIBPQ_ENV[name]] = value
    return environment


def _pg_connect(database: Database, autocommit: bool = False) -> psycopg.Connection[Any]:
    try:
        import psycopg
        from psycopg.conninfo import make_conninfo
    except ImportError:
        raise BackupRefused("PostgreSQL needs psycopg: pip install 'rightsfirst[postgres]'") from None
    params = dict(database.params)
    # UTC, so that the manifest's timestamps read the same whatever the server's time zone.
    params["options"] = (params.get("options", "") + " -c TimeZone=UTC").strip()
    try:
        return psycopg.connect(make_conninfo("", **params), autocommit=autocommit)
    except psycopg.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BackupFailed(f"cannot connect to {database.describe()}: {first}") from None


# ---------------------------------------------------------------------------------------------
# Create


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds."""

    path: Path
    size: int
    chunks: int
    tables: int
    rows: int
    header: dict[str, Any]


def _header(database: Database, key: bytes, chunk_size: int, tool: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "key_id": key_id(key),
        "vendor": database.vendor,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "application_version": _application_version(),
        "payload": "sqlite-database" if database.vendor == "sqlite" else "pg_dump-plain",
        "tool": tool,
        "chunk_size": chunk_size,
        "salt": base64.b64encode(secrets.token_bytes(SALT_BYTES)).decode("ascii"),
    }


def _write_manifest(encryptor: _Encryptor, manifest: Manifest) -> None:
    data = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode("utf-8")
    encryptor.write(struct.pack(">Q", len(data)) + data)


def _backup_sqlite(out: IO[bytes], database: Database, key: bytes, header: dict[str, Any]) -> tuple[Manifest, int]:
    if database.path is None:
        raise BackupFailed("this database has no file path")
    source_path = database.path
    if not source_path.is_file():
        raise BackupRefused(f"no SQLite database at {source_path}: nothing to back up")
    # The snapshot sits beside the database (same disk, same protection), never in a shared /tmp.
    with _private_directory(source_path.parent) as work:
        snapshot = work / "snapshot.sqlite3"
        _private_file(snapshot).close()
        try:
            source = _sqlite_connect(source_path, read_only=True)
            target = sqlite3.connect(snapshot)
            try:
                # SQLite's online backup in one step: one read transaction, so a consistent
                # snapshot (WAL included) while the application goes on writing.
                source.backup(target)
            finally:
                target.close()
                source.close()
        except sqlite3.Error as error:
            raise BackupFailed(f"cannot read {database.describe()}: {error}") from None
        manifest = sqlite_manifest(snapshot)
        encryptor = _Encryptor(out, header, key)
        _write_manifest(encryptor, manifest)
        with open(snapshot, "rb") as handle:
            while block := handle.read(READ_BLOCK):
                encryptor.write(block)
        encryptor.close()
        return manifest, encryptor.chunks


def _backup_postgres(out: IO[bytes], database: Database, key: bytes, header: dict[str, Any]) -> tuple[Manifest, int]:
    from psycopg import IsolationLevel

    with _pg_connect(database) as connection:
        # One snapshot for both: the manifest is computed in this transaction, and pg_dump
        # dumps the same snapshot (exported to it) while the application goes on writing.
        connection.isolation_level = IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        row = connection.execute("SELECT pg_export_snapshot()").fetchone()
        if row is None:
            raise BackupFailed("the database returned no snapshot")
        snapshot = str(row[0])
        manifest = postgres_manifest(connection)
        encryptor = _Encryptor(out, header, key)
        _write_manifest(encryptor, manifest)
        with tempfile.TemporaryFile() as errors:
            command = [_tool("pg_dump"), "--format=plain", "--no-owner", "--no-password", f"--snapshot={snapshot}"]
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=_pg_environment(database))  # nosec B603  # pg_dump with an argument list built here
            if process.stdout is None:
                raise BackupFailed("could not talk to the PostgreSQL client tool")
            try:
                while block := process.stdout.read(READ_BLOCK):
                    encryptor.write(block)
            except BaseException:
                process.kill()
                process.wait()
                raise
            if process.wait() != 0:
                raise BackupFailed(f"pg_dump failed: {_tool_error(errors)}")
        encryptor.close()
        connection.rollback()
        return manifest, encryptor.chunks


def create_backup(output: Path, database: Database, key: bytes, chunk_size: int = CHUNK_SIZE) -> BackupSummary:
    """Write an encrypted backup of `database` to `output` (a new file, mode 0600).

    The file appears only when it is complete: it is written under a temporary name in the same
    directory, synced, then renamed. An existing file is never overwritten.
    """
    if not 0 < chunk_size <= MAX_CHUNK_SIZE:
        raise BackupRefused(f"chunk size must be between 1 and {MAX_CHUNK_SIZE} bytes")
    output = output.absolute()
    if output.exists():
        raise BackupRefused(f"{output} already exists: a backup never overwrites a file; give a new name")
    if not output.parent.is_dir():
        raise BackupRefused(f"{output.parent}: no such directory")
    if database.vendor == "sqlite":
        tool = f"SQLite {sqlite3.sqlite_version}"
    else:
        version = subprocess.run([_tool("pg_dump"), "--version"], capture_output=True, text=True, check=False)  # nosec B603  # pg_dump --version
        tool = version.stdout.strip()
    header = _header(database, key, chunk_size, tool)
    partial = output.with_name(f".{output.name}.{secrets.token_hex(4)}.partial")
    try:
        with _private_file(partial) as out:
            if database.vendor == "sqlite":
                manifest, chunks = _backup_sqlite(out, database, key, header)
            else:
                manifest, chunks = _backup_postgres(out, database, key, header)
            out.flush()
            os.fsync(out.fileno())
        if output.exists():
            raise BackupRefused(f"{output} appeared while the backup was written: it was left alone")
        os.replace(partial, output)
        _fsync_directory(output.parent)
    finally:
        partial.unlink(missing_ok=True)
    tables, rows = _totals(manifest)
    return BackupSummary(output, output.stat().st_size, chunks, tables, rows, header)


# ---------------------------------------------------------------------------------------------
# Restore and verify


@dataclass(frozen=True)
class RestoreSummary:
    """What was restored (or, for a deep verification, restored into a temporary database)."""

    header: dict[str, Any]
    tables: int
    rows: int
    chunks: int
    payload_bytes: int
    replaced: str = ""


def _write_payload(payload: Iterable[bytes], path: Path) -> None:
    with _private_file(path) as out:
        for block in payload:
            out.write(block)
        out.flush()
        os.fsync(out.fileno())


def _check_sqlite_file(path: Path, manifest: Manifest, what: str) -> None:
    try:
        connection = _sqlite_connect(path)
        try:
            result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        finally:
            connection.close()
        actual = sqlite_manifest(path)
    except sqlite3.DatabaseError as error:
        raise BackupDamaged(f"{what} is not a sound SQLite database: {error}") from None
    if result != ["ok"]:
        raise BackupDamaged(f"{what} fails SQLite's integrity check: {result[0]}")
    problems = compare_manifests(manifest, actual)
    if problems:
        raise BackupDamaged(f"{what} differs from the backup's manifest: {'; '.join(problems[:5])}")


def _sqlite_contents(path: Path) -> list[tuple[str, int]]:
    """The tables (with row counts) in a SQLite file; empty if there is no file or no table."""
    if not path.exists():
        return []
    try:
        connection = _sqlite_connect(path, read_only=True)
        try:
            names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return [
                (name, int(connection.execute(f"SELECT count(*) FROM {_sqlite_name(name)}").fetchone()[0]))  # nosec B608  # table names from sqlite_master, quoted
                for name in sorted(names)
            ]
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupRefused(f"{path} exists and cannot be read as a SQLite database ({error}): move it away") from None


def _replacing(database: Database, contents: Sequence[tuple[str, int | None]], force: bool) -> str:
    """Refuses a target that holds data unless forced; then says exactly what will be replaced."""
    if not contents:
        return ""
    rows = sum(count or 0 for _, count in contents)
    busiest = sorted((item for item in contents if item[1]), key=lambda item: -(item[1] or 0))[:5]
    # Without rows to show, name what is there (a function alone still makes a database not empty).
    detail = ", ".join(f"{name} {count}" for name, count in busiest) or ", ".join(name for name, _ in contents[:5])
    kinds = "tables" if database.vendor == "sqlite" else "tables, views, sequences, functions, types or collations"
    what = f"{len(contents)} {kinds} holding {rows} rows" + (f" ({detail} ...)" if detail else "")
    if not force:
        raise BackupRefused(
            f"{database.describe()} is not empty ({what}): restore into an empty database, "
            "or give --force to replace what it holds"
        )
    return f"{database.describe()}: all {what} will be dropped and replaced by the backup"


def _restore_sqlite(
    path: Path, key: bytes, database: Database, force: bool, notify: Callable[[str], None]
) -> RestoreSummary:
    if database.path is None:
        raise BackupFailed("this database has no file path")
    target = database.path
    replaced = _replacing(database, _sqlite_contents(target), force)
    leftovers = [
        Path(f"{target}{suffix}") for suffix in ("-wal", "-journal", "-shm") if Path(f"{target}{suffix}").exists()
    ]
    if leftovers and not target.exists() and not force:
        # A journal without its database would be replayed onto the restored file.
        raise BackupRefused(
            f"{leftovers[0]} is left from a database that is gone: move it away, or give --force to delete it"
        )
    with open_backup(path, key) as opened, _private_directory(target.parent) as work:
        restored = work / "restored.sqlite3"
        _write_payload(opened.payload, restored)
        # Everything is checked before the target is touched: a bad backup changes nothing.
        _check_sqlite_file(restored, opened.manifest, "the restored database")
        if replaced:
            notify(replaced)
        if not target.exists():
            for leftover in leftovers:
                leftover.unlink(missing_ok=True)
            os.replace(restored, target)
            _fsync_directory(target.parent)
        else:
            if not force and _sqlite_contents(target):
                raise BackupRefused(
                    f"{database.describe()} received data while the backup was read: nothing was changed"
                )
            # The target exists (perhaps open, in WAL mode): SQLite's backup API writes it in one
            # transaction, through SQLite's own locking, so readers see the old or the new database.
            try:
                source = sqlite3.connect(restored)
                destination = sqlite3.connect(target, timeout=30)
                try:
                    source.backup(destination)
                finally:
                    destination.close()
                    source.close()
            except sqlite3.Error as error:
                raise BackupFailed(f"cannot write {database.describe()}: {error}; it was left as it was") from None
            _check_sqlite_file(target, opened.manifest, f"the restored {database.describe()}")
        tables, rows = _totals(opened.manifest)
        return RestoreSummary(opened.header, tables, rows, opened.chunks, opened.payload_bytes, replaced)


# What else pg_dump writes as a plain CREATE (which fails if the object exists): functions and
# procedures (the append-only audit trigger's function, for one), types and collations. Objects an
# extension or another object owns (an array or multirange type, a range's constructors) go with
# their owner, so they are neither counted nor dropped on their own.
_PG_OTHER_OBJECTS = """
    SELECT 'routine', format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype IN ('e', 'i'))
    UNION ALL
    SELECT 'type', format('%I.%I', n.nspname, t.typname)
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    LEFT JOIN pg_class c ON c.oid = t.typrelid
    WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
      AND t.typtype IN ('b', 'c', 'd', 'e', 'r') AND (c.oid IS NULL OR c.relkind = 'c')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype IN ('e', 'i'))
    UNION ALL
    SELECT 'collation', format('%I.%I', n.nspname, c.collname)
    FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace
    WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_collation'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY 1, 2
"""


def _pg_contents(connection: psycopg.Connection[Any]) -> list[tuple[str, str, str, int | None]]:
    """What a restore would collide with, outside the system schemas: relations, then collations,
    routines and types, as (kind, name to show, name quoted for SQL, rows for tables).

    Changes the session's search_path (the connection is the caller's, closed after the restore).
    """
    from psycopg import sql

    # An empty search_path makes the server qualify every type in a routine's argument list, so the
    # DROP built from it names the same routine in psql's session, whatever its search_path.
    connection.execute("SELECT pg_catalog.set_config('search_path', '', false)")
    found = connection.execute(
        "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname <> 'information_schema' "
        "AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2"
    ).fetchall()
    contents: list[tuple[str, str, str, int | None]] = []
    for schema, name, kind in found:
        qualified = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name)).as_string(connection)
        rows = None
        if kind == "r":
            counted = connection.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.SQL(qualified))).fetchone()
            rows = int(counted[0]) if counted else 0
        contents.append((kind, f"{schema}.{name}", qualified, rows))
    # Names quoted by the server (format's %I). A DROP ... CASCADE may remove what a later DROP
    # names (a routine that took a dropped table's row type): IF EXISTS then only notes it.
    contents += [(kind, name, name, None) for kind, name in connection.execute(_PG_OTHER_OBJECTS).fetchall()]
    return contents


_DROP = {
    "r": "TABLE",
    "p": "TABLE",
    "v": "VIEW",
    "m": "MATERIALIZED VIEW",
    "S": "SEQUENCE",
    "f": "FOREIGN TABLE",
    "routine": "ROUTINE",
    "type": "TYPE",
    "collation": "COLLATION",
}


def _psql_restore(database: Database, payload: Iterable[bytes], before: Sequence[str]) -> None:
    """Feed a plain-SQL dump to psql in ONE transaction (after `before`, in the same transaction).

    psql commits when its input ends, so on any problem it is killed before it can see the end:
    the server then rolls the transaction back and the database is as it was.
    """
    command = [_tool("psql"), "-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1", "--single-transaction"]
    if before:
        command += ["-c", "\n".join(before)]
    command += ["-f", "-"]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(  # nosec B603  # psql with an argument list built here
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env=_pg_environment(database),
        )
        if process.stdin is None:
            raise BackupFailed("could not talk to the PostgreSQL client tool")
        try:
            for block in payload:
                process.stdin.write(block)
        except BrokenPipeError:
            pass  # psql stopped at an error (and rolled back); its message follows
        except BaseException:
            process.kill()
            process.wait()
            raise
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
        if process.wait() != 0:
            raise BackupFailed(
                f"psql could not restore into {database.describe()}, which was left as it was: {_tool_error(errors)}"
            )


def _restore_postgres(
    path: Path, key: bytes, database: Database, force: bool, notify: Callable[[str], None]
) -> RestoreSummary:
    from psycopg import sql

    # A first pass authenticates the whole file, so that a damaged backup never starts a restore.
    with open_backup(path, key) as opened:
        for _ in opened.payload:
            pass
    with _pg_connect(database, autocommit=True) as connection:
        contents = _pg_contents(connection)
        drops = [
            sql.SQL("DROP {} IF EXISTS {} CASCADE;").format(sql.SQL(_DROP[kind]), sql.SQL(name)).as_string(connection)
            for kind, _, name, _ in contents
        ]
    replaced = _replacing(database, [(name, rows) for _, name, _, rows in contents], force)
    if replaced:
        notify(replaced)
    with open_backup(path, key) as opened:
        # The drops run in the restore's own transaction: all of it happens, or none.
        _psql_restore(database, opened.payload, drops if replaced else [])
        with _pg_connect(database) as connection:
            problems = compare_manifests(opened.manifest, postgres_manifest(connection))
        if problems:
            raise BackupDamaged(
                f"{database.describe()} was restored but differs from the backup's manifest: {'; '.join(problems[:5])}"
            )
        tables, rows = _totals(opened.manifest)
        return RestoreSummary(opened.header, tables, rows, opened.chunks, opened.payload_bytes, replaced)


def restore_backup(
    path: Path, key: bytes, database: Database, force: bool = False, notify: Callable[[str], None] = lambda _: None
) -> RestoreSummary:
    """Restore a backup into `database`, which must be empty unless `force` (then `notify` says what goes).

    Nothing is half-restored: SQLite is written to a temporary file, checked, then renamed into
    place (or copied in one transaction when the file exists); PostgreSQL is restored in one
    transaction. Afterwards the manifest is recomputed from the restored database and any
    difference raises BackupDamaged.
    """
    with open_backup(path, key) as opened:
        vendor = opened.header.get("vendor")
    if vendor != database.vendor:
        raise BackupRefused(f"this is a backup of a {vendor} database; {database.describe()} is not one")
    if database.vendor == "sqlite":
        return _restore_sqlite(path, key, database, force, notify)
    return _restore_postgres(path, key, database, force, notify)


@dataclass(frozen=True)
class VerifySummary:
    """The result of a verification: every chunk authenticated, and (deep) the manifest recomputed."""

    header: dict[str, Any]
    tables: int
    rows: int
    chunks: int
    payload_bytes: int
    deep: bool


def verify_backup(
    path: Path, key: bytes, deep: bool = False, work_dir: Path | None = None, server: Database | None = None
) -> VerifySummary:
    """Authenticate every chunk of a backup; with `deep`, restore it into a temporary database
    (a file in `work_dir`, or a database created on `server` for PostgreSQL) and compare the manifest."""
    with open_backup(path, key) as opened:
        vendor = opened.header.get("vendor")
        if not deep:
            for _ in opened.payload:
                pass
            tables, rows = _totals(opened.manifest)
            return VerifySummary(opened.header, tables, rows, opened.chunks, opened.payload_bytes, False)
    if vendor == "sqlite":
        with _private_directory(work_dir or Path(tempfile.gettempdir())) as work:
            result = restore_backup(path, key, Database("sqlite", path=work / "verify.sqlite3"))
    elif vendor == "postgresql":
        if server is None or server.vendor != "postgresql":
            raise BackupRefused(
                "a deep verification of a PostgreSQL backup needs a PostgreSQL server to restore it on "
                "(set DATABASE_URL)"
            )
        result = _verify_on_temporary_database(path, key, server)
    else:
        raise BackupRefused(f"unknown database vendor {vendor!r} in the backup")
    return VerifySummary(result.header, result.tables, result.rows, result.chunks, result.payload_bytes, True)


def _verify_on_temporary_database(path: Path, key: bytes, server: Database) -> RestoreSummary:
    import psycopg
    from psycopg import sql

    name = f"rightsfirst_verify_{secrets.token_hex(6)}"
    with _pg_connect(server, autocommit=True) as connection:
        try:
            connection.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
        except psycopg.Error as error:
            raise BackupFailed(
                f"a deep verification needs to create a temporary database on {server.describe()}: "
                f"{str(error).strip().splitlines()[0]}"
            ) from None
        try:
            return restore_backup(path, key, server.with_dbname(name))
        finally:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
