"""Key inventory, master key rotation (re-wrapping case keys), resuming after interruption, index rebuild."""

from __future__ import annotations

import base64
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rightsfirst import cli
from rightsfirst.web import audit, blind_index, crypto, key_rotation, workflow
from rightsfirst.web.models import AuditEvent, Case, SearchToken, ServiceEvent


def make_cases(make_case: Any, users: dict[str, Any], count: int) -> dict[str, tuple[str, str]]:
    """Cases with distinct names and a service note each: {reference: (family name, note)}."""
    made = {}
    for number in range(count):
        family = f"Rotaname{chr(65 + number)}"
        case = make_case(family_name=family)
        note = f"Fictional note {number} for the rotation test"
        workflow.record_service(users["case_worker"], case, "safe_shelter", "offered", workflow.today(), note=note)
        made[case.reference] = (family, note)
    return made


def read_everything() -> dict[str, tuple[str, str]]:
    """Decrypt every case's family name and service note, with fresh objects and a fresh key ring."""
    crypto.key_ring.cache_clear()
    found = {}
    for case in Case.objects.select_related("person"):
        note = ServiceEvent.objects.select_related("case").get(case=case).note
        found[case.reference] = (case.person.identity(case, ["family_name"])["family_name"], note)
    return found


def run(*args: str) -> str:
    out = StringIO()
    call_command("rotate_keys", *args, stdout=out)
    return out.getvalue()


def test_rotate_then_delete_the_old_key_and_every_record_still_decrypts(make_case, users, settings, client_for):
    made = make_cases(make_case, users, 3)
    old_id = crypto.master_key_id()
    out = run("--new-master-key", "--batch-size", "2")
    new_id = crypto.master_key_id()
    assert new_id != old_id and f"Master key {old_id} retired" in out and "3 case key(s) re-wrapped" in out
    assert set(Case.objects.values_list("master_key_id", flat=True)) == {new_id}
    retired = Path(settings.RIGHTSFIRST_RETIRED_KEYS_DIR) / f"{old_id}.key"
    assert retired.exists() and retired.stat().st_mode & 0o777 == 0o600
    assert f"{old_id}  retired, wraps no case key: it may be deleted" in out

    out = run("--delete-retired", old_id)
    assert "deleted" in out and not retired.exists()
    assert old_id not in crypto.key_ring().retired and old_id != crypto.key_ring().active_id
    assert read_everything() == made
    response = client_for("case_worker").post("/people/search/", {"term": "rotanamea"})
    assert any(reference in response.content.decode() for reference in made)
    actions = list(AuditEvent.objects.filter(action__startswith="keys.").values_list("action", flat=True))
    assert sorted(actions) == ["keys.delete_retired", "keys.new_master", "keys.rotate"]
    assert audit.verify() == []


def test_a_retired_key_still_in_use_cannot_be_deleted(make_case, users, settings):
    made = make_cases(make_case, users, 2)
    old_id, new_id = key_rotation.new_master_key()
    with pytest.raises(CommandError, match=r"still wraps 2 case key\(s\)"):
        run("--delete-retired", old_id)
    assert (Path(settings.RIGHTSFIRST_RETIRED_KEYS_DIR) / f"{old_id}.key").exists()
    # Still readable through the retired key, before any re-wrapping.
    assert read_everything() == made
    with pytest.raises(CommandError, match="is the active master key"):
        run("--delete-retired", new_id)
    with pytest.raises(CommandError, match="no retired master key"):
        run("--delete-retired", "0123456789abcdef")


def test_status_shows_key_ids_and_counts_and_never_key_material(make_case, users, settings):
    make_cases(make_case, users, 2)
    old_id, _new_id = key_rotation.new_master_key()
    out = run("--status")
    inventory = key_rotation.inventory()
    assert f"{inventory.master[0].key_id}  active, 0 case(s)" in out
    assert f"{old_id}  retired, still wraps 2 case key(s): keep it" in out
    assert f"Blind-index key: {inventory.index_key_id}" in out and "2 case(s), current" in out
    assert f"Audit chain key: {inventory.audit_key_id}" in out
    assert inventory.to_rewrap == 2 and inventory.to_reindex == 0
    secrets = [
        Path(settings.RIGHTSFIRST_MASTER_KEY_FILE),
        Path(settings.RIGHTSFIRST_RETIRED_KEYS_DIR) / f"{old_id}.key",
        Path(settings.RIGHTSFIRST_INDEX_KEY_FILE),
        Path(settings.RIGHTSFIRST_AUDIT_KEY_FILE),
    ]
    for path in secrets:
        encoded = path.read_bytes().strip()
        raw = base64.b64decode(encoded)
        assert encoded.decode() not in out and raw.hex() not in out
    assert out == run("--status")  # changes nothing


def test_an_interrupted_rotation_resumes_and_completes_without_loss(make_case, users):
    made = make_cases(make_case, users, 5)
    old_id, new_id = key_rotation.new_master_key()

    class Stop(Exception):
        pass

    def stop_after_two(done: int) -> None:
        if done >= 2:
            raise Stop

    with pytest.raises(Stop):
        key_rotation.run_batches(key_rotation.rewrap_batch, 1, after_batch=stop_after_two)
    counts = dict(key_rotation._count_by(Case.objects.all(), "master_key_id"))
    assert counts == {new_id: 2, old_id: 3}
    assert read_everything() == made  # half under each key: all readable
    assert key_rotation.run_batches(key_rotation.rewrap_batch, 2) == 3
    assert set(Case.objects.values_list("master_key_id", flat=True)) == {new_id}
    assert read_everything() == made


def test_a_failure_inside_a_batch_rolls_the_whole_batch_back(make_case, users, monkeypatch):
    made = make_cases(make_case, users, 3)
    old_id, _new_id = key_rotation.new_master_key()
    original = crypto.wrap_data_key
    calls = {"n": 0}

    def failing(*args: Any, **kwargs: Any) -> tuple[bytes, str]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("connection lost")
        return original(*args, **kwargs)

    monkeypatch.setattr(crypto, "wrap_data_key", failing)
    with pytest.raises(OSError):
        key_rotation.run_batches(key_rotation.rewrap_batch, 3)
    assert set(Case.objects.values_list("master_key_id", flat=True)) == {old_id}
    monkeypatch.setattr(crypto, "wrap_data_key", original)
    assert key_rotation.run_batches(key_rotation.rewrap_batch, 3) == 3
    assert read_everything() == made


def test_ctrl_c_stops_the_command_saying_how_to_continue(make_case, users, monkeypatch):
    made = make_cases(make_case, users, 3)
    key_rotation.new_master_key()
    original = key_rotation.rewrap_batch
    calls = {"n": 0}

    def interrupted(size: int) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(size)

    monkeypatch.setattr(key_rotation, "rewrap_batch", interrupted)
    with pytest.raises(CommandError, match=r"interrupted after 1 case\(s\) re-wrapped; nothing is lost"):
        run("--batch-size", "1")
    monkeypatch.setattr(key_rotation, "rewrap_batch", original)
    assert "2 case key(s) re-wrapped" in run()
    assert read_everything() == made


def test_a_case_under_a_lost_key_is_reported_and_does_not_stop_the_rest(make_case, users, settings):
    make_cases(make_case, users, 2)
    old_id, _new_id = key_rotation.new_master_key()
    (Path(settings.RIGHTSFIRST_RETIRED_KEYS_DIR) / f"{old_id}.key").unlink()
    crypto.key_ring.cache_clear()
    assert key_rotation.run_batches(key_rotation.rewrap_batch, 10) == 0
    assert f"{old_id}  NOT IN THE KEY RING: 2 case(s) cannot be read" in run("--status")
    case = Case.objects.select_related("person").first()
    with pytest.raises(crypto.MissingKeyError, match=old_id):
        case.person.identity(case)


def test_a_running_application_reads_the_key_files_again_when_it_meets_a_new_key_id(make_case, users, monkeypatch):
    made = make_cases(make_case, users, 2)
    stale_ring = crypto.key_ring()  # what a process started before the rotation holds
    key_rotation.new_master_key()
    key_rotation.run_batches(key_rotation.rewrap_batch, 10)
    real = crypto.key_ring

    class StaleUntilCleared:
        def __init__(self) -> None:
            self.cleared = False

        def __call__(self) -> crypto.KeyRing:
            return real() if self.cleared else stale_ring

        def cache_clear(self) -> None:
            self.cleared = True
            real.cache_clear()

    stale = StaleUntilCleared()
    monkeypatch.setattr(crypto, "key_ring", stale)
    case = Case.objects.select_related("person").get(reference=next(iter(made)))
    assert case.person.identity(case, ["family_name"])["family_name"] == made[case.reference][0]
    assert stale.cleared


def test_a_master_key_from_the_environment_is_not_replaced_by_the_command(monkeypatch):
    monkeypatch.setenv("RIGHTSFIRST_MASTER_KEY", base64.b64encode(bytes(range(32))).decode())
    crypto.key_ring.cache_clear()
    with pytest.raises(CommandError, match="RIGHTSFIRST_RETIRED_MASTER_KEYS"):
        run("--new-master-key")


def test_retired_keys_can_come_from_the_environment(make_case, users, monkeypatch, settings):
    made = make_cases(make_case, users, 1)
    old = Path(settings.RIGHTSFIRST_MASTER_KEY_FILE).read_text().strip()
    monkeypatch.setenv("RIGHTSFIRST_MASTER_KEY", base64.b64encode(b"n" * 32).decode())
    monkeypatch.setenv("RIGHTSFIRST_RETIRED_MASTER_KEYS", old)
    crypto.key_ring.cache_clear()
    assert "1 case key(s) re-wrapped" in run()
    assert read_everything() == made
    retired_id = next(iter(crypto.key_ring().retired))
    with pytest.raises(CommandError, match="remove it from RIGHTSFIRST_RETIRED_MASTER_KEYS yourself"):
        run("--delete-retired", retired_id)


def test_rebuild_index_under_a_new_index_key(make_case, users):
    case = make_case(family_name="Indexname")
    before = set(SearchToken.objects.filter(case=case).values_list("index", "token"))
    old_id = blind_index.key_id()
    new_id = key_rotation.new_index_key()
    assert new_id != old_id
    # The tokens in the table were computed under the earlier key: with the new one the search misses.
    assert blind_index.search(Case.objects.all(), "indexname").cases == []
    assert key_rotation.inventory().to_reindex == 1
    out = run("--rebuild-index", "--batch-size", "1")
    assert "1 case(s) re-indexed" in out
    after = set(SearchToken.objects.filter(case=case).values_list("index", "token"))
    assert after != before and len(after) == len(before)
    assert Case.objects.get(pk=case.pk).index_key_id == new_id
    assert blind_index.search(Case.objects.all(), "indexname").cases == [case]
    # Nothing left to do: a second run changes nothing.
    assert "0 case(s) re-indexed" in run("--rebuild-index")


def test_the_new_index_key_option_writes_the_key_and_rebuilds(make_case):
    case = make_case(family_name="Otherindex")
    out = run("--new-index-key")
    assert "New blind-index key" in out and "1 case(s) re-indexed" in out
    assert blind_index.search(Case.objects.all(), "otherindex").cases == [case]


def test_the_keys_command_line_maps_to_the_management_command(monkeypatch):
    calls: list[list[str]] = []
    monkeypatch.setattr(cli, "run_django", lambda argv: calls.append(list(argv)) or 0)
    assert cli.main(["keys", "status"]) == 0
    assert cli.main(["keys", "rotate", "--new-master-key", "--batch-size", "100"]) == 0
    assert calls == [["rotate_keys", "--status"], ["rotate_keys", "--new-master-key", "--batch-size", "100"]]


# --- A rotation killed outright (SIGKILL) in a separate process, then resumed -----------------

SEED = textwrap.dedent(
    """
    import json, os, django
    django.setup()
    from django.conf import settings
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # the demo logins, fast
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--no-cases", verbosity=0)
    call_command("seed_cases", "--cases", "120", "--batch", "60", verbosity=0)
    from rightsfirst.web.models import Case
    names = {c.reference: c.person.identity(c)["family_name"] for c in Case.objects.select_related("person")}
    with open(os.environ["SNAPSHOT"], "w") as out:
        json.dump(names, out)
    """
)
# Resume the rotation, delete the retired key, then read every identity back.
FINISH = textwrap.dedent(
    """
    import io, json, os, sys, django
    django.setup()
    from django.core.management import call_command
    from rightsfirst.web.models import Case
    out = io.StringIO()
    call_command("rotate_keys", "--batch-size", "50", stdout=out)
    call_command("rotate_keys", "--delete-retired", sys.argv[1], stdout=out)
    call_command("rotate_keys", "--status", stdout=out)
    print(out.getvalue())
    from rightsfirst.web import crypto
    crypto.key_ring.cache_clear()
    names = {c.reference: c.person.identity(c)["family_name"] for c in Case.objects.select_related("person")}
    with open(os.environ["SNAPSHOT"]) as snapshot:
        assert names == json.load(snapshot), "identities differ after the rotation"
    print("readable", len(names))
    """
)


def test_a_rotation_killed_with_sigkill_resumes_and_completes_without_loss(tmp_path):
    data = tmp_path / "data"
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("RIGHTSFIRST_")},
        "DJANGO_SETTINGS_MODULE": "rightsfirst.web.settings",
        "RIGHTSFIRST_DATA_DIR": str(data),
        "SNAPSHOT": str(tmp_path / "snapshot.json"),
    }
    env.pop("DATABASE_URL", None)

    def python(*args: str) -> str:
        done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    python("-c", SEED)
    old_id = crypto.key_id_of(base64.b64decode((data / "master.key").read_bytes().strip()))
    rotation = subprocess.Popen(
        [
            sys.executable,
            *("-c", "import sys; from rightsfirst.cli import main; sys.exit(main())"),
            *("keys", "rotate", "--new-master-key", "--batch-size", "3", "--pause", "0.1"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    database = sqlite3.connect(data / "rightsfirst.sqlite3", timeout=10)
    count = "SELECT count(*) FROM casework_case WHERE master_key_id != ?"
    moved = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and rotation.poll() is None and moved < 9:
        time.sleep(0.02)
        (moved,) = database.execute(count, [old_id]).fetchone()
    rotation.send_signal(signal.SIGKILL)
    rotation.wait(timeout=30)
    (moved,) = database.execute(count, [old_id]).fetchone()
    database.close()
    assert rotation.returncode == -signal.SIGKILL
    assert 9 <= moved < 120, f"the rotation was not stopped part-way ({moved} of 120 moved)"
    assert moved % 3 == 0  # whole batches only: the one in flight rolled back

    out = python("-c", FINISH, old_id)
    assert f"{120 - moved} case key(s) re-wrapped" in out
    assert f"Retired master key {old_id} deleted" in out
    assert "active, 120 case(s)" in out
    assert "readable 120" in out
    assert not (data / "retired-keys" / f"{old_id}.key").exists()
