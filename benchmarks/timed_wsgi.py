"""The application, timed from inside the server: where each request's time goes.

For `bench_web.py --server-timings`: gunicorn serves this module instead of rightsfirst.web.wsgi.
Each request's wall time, the CPU time of the thread that served it, its time in the database,
and within that the wait for `BEGIN` (on SQLite, the wait for the single writer) and the commits,
go as one JSON line to RF_BENCH_TIMINGS_DIR/timing-<pid>.jsonl. What locust measures on top of
the wall time here is the wait for a free server thread.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

from rightsfirst.web.wsgi import application as served

_log = open(  # noqa: SIM115  # kept open for the life of the worker process
    Path(os.environ["RF_BENCH_TIMINGS_DIR"]) / f"timing-{os.getpid()}.jsonl", "a", buffering=1
)
_write_lock = threading.Lock()
_now = threading.local()


def _timed_query(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        spent = time.perf_counter() - started
        _now.database += spent
        if sql.lstrip()[:5].upper() == "BEGIN":
            _now.begin += spent


_commit = BaseDatabaseWrapper._commit


def _timed_commit(self: Any) -> Any:
    # Django commits through the driver, not through a cursor, so execute_wrapper does not see it.
    started = time.perf_counter()
    try:
        return _commit(self)
    finally:
        if hasattr(_now, "commit"):
            spent = time.perf_counter() - started
            _now.commit += spent
            _now.database += spent


BaseDatabaseWrapper._commit = _timed_commit  # type: ignore[method-assign]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Serve the request as rightsfirst.web.wsgi would, and log where its time went."""
    _now.database = _now.begin = _now.commit = 0.0
    started, cpu = time.perf_counter(), time.thread_time()
    with connection.execute_wrapper(_timed_query):
        response = served(environ, start_response)
    line = {
        "at": time.time(),
        "method": environ["REQUEST_METHOD"],
        "path": environ.get("PATH_INFO", ""),
        "query": environ.get("QUERY_STRING", ""),
        "wall": time.perf_counter() - started,
        "cpu": time.thread_time() - cpu,
        "database": _now.database,
        "begin": _now.begin,
        "commit": _now.commit,
    }
    with _write_lock:
        _log.write(json.dumps(line) + "\n")
    return response
