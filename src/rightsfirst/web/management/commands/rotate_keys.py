"""`rightsfirst keys rotate` / `rightsfirst keys status`: key inventory, master key rotation, index rebuild.

rightsfirst keys status                       key ids in use and what each covers (no key material)
rightsfirst keys rotate --new-master-key      retire the master key file, write a new one, re-wrap
rightsfirst keys rotate                       re-wrap what is still under a retired key (resumes)
rightsfirst keys rotate --delete-retired ID   delete a retired key file once no case uses it
rightsfirst keys rotate --new-index-key       new blind-index key, then rebuild the index
rightsfirst keys rotate --rebuild-index       recompute search tokens not under the current index key
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rightsfirst.web import audit, key_rotation
from rightsfirst.web.key_rotation import Inventory, RotationError


def describe(found: Inventory) -> list[str]:
    """The inventory as lines of text: key ids, sources and counts, never key material."""
    lines = ["Master keys (each case's data key is wrapped by one):"]
    for use in found.master:
        if use.state == "active":
            note = f"active, {use.cases} case(s)"
        elif use.state == "retired" and use.cases:
            note = f"retired, still wraps {use.cases} case key(s): keep it; `rightsfirst keys rotate` moves them"
        elif use.state == "retired":
            note = (
                "retired, wraps no case key: it may be deleted "
                f"(`rightsfirst keys rotate --delete-retired {use.key_id}`) once no backup you keep needs it"
            )
        else:
            note = f"NOT IN THE KEY RING: {use.cases} case(s) cannot be read until this key is put back"
        source = f" [{use.source}]" if use.source else ""
        lines.append(f"  {use.key_id}  {note}{source}")
    lines.append(f"Blind-index key: {found.index_key_id} [{found.index_source}]")
    for key_id, count in sorted(found.indexed.items()):
        state = (
            "current" if key_id == found.index_key_id else "earlier key: run `rightsfirst keys rotate --rebuild-index`"
        )
        lines.append(f"  {key_id or '(not indexed)'}  {count} case(s), {state}")
    lines.append(f"  {found.tokens} search token(s)")
    lines.append(f"Audit chain key: {found.audit_key_id} [{found.audit_source}]")
    lines.append(f"Django signing key: [{found.django_secret_source}]")
    return lines


class Command(BaseCommand):
    help = (
        "Key inventory (--status), master key rotation (re-wrap every case key under the active master key, "
        "in batches that can be interrupted and resumed) and blind-index rebuilding."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--status", action="store_true", help="show the key inventory and change nothing")
        parser.add_argument(
            "--new-master-key",
            action="store_true",
            help="move the master key file to the retired keys and write a new one, then re-wrap",
        )
        parser.add_argument(
            "--delete-retired", metavar="KEY_ID", help="delete a retired master key file that no case uses"
        )
        parser.add_argument(
            "--rebuild-index", action="store_true", help="recompute search tokens not under the current index key"
        )
        parser.add_argument(
            "--new-index-key", action="store_true", help="write a new blind-index key, then rebuild the index"
        )
        parser.add_argument("--batch-size", type=int, default=500, help="cases per transaction (default 500)")
        parser.add_argument(
            "--pause", type=float, default=0.0, help="seconds to wait between batches, to spare a busy database"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1 or options["pause"] < 0:
            raise CommandError("--batch-size must be at least 1 and --pause not negative")
        try:
            if options["status"]:
                self._print_inventory()
                return
            if options["delete_retired"]:
                self._delete(options["delete_retired"])
                return
            self._rotate(options)
        except RotationError as error:
            raise CommandError(str(error)) from None

    def _print_inventory(self) -> None:
        for line in describe(key_rotation.inventory()):
            self.stdout.write(line)

    def _delete(self, key_id: str) -> None:
        path = key_rotation.delete_retired(key_id)
        audit.record(None, "keys.delete_retired", target=f"master key {key_id}")
        self.stdout.write(f"Retired master key {key_id} deleted ({path}). No case key was wrapped with it.")

    def _rotate(self, options: dict[str, Any]) -> None:
        size, pause = options["batch_size"], options["pause"]
        if options["new_master_key"]:
            old_id, new_id = key_rotation.new_master_key()
            audit.record(None, "keys.new_master", target=f"{old_id} retired, {new_id} active")
            self.stdout.write(f"Master key {old_id} retired; new master key {new_id} is active.")
        rewrapped = self._run("re-wrapped", key_rotation.rewrap_batch, size, pause)
        active = key_rotation.inventory().master[0].key_id
        audit.record(None, "keys.rotate", target=f"{rewrapped} case key(s) re-wrapped under {active}")
        self.stdout.write(f"{rewrapped} case key(s) re-wrapped under master key {active}.")
        if options["new_index_key"]:
            index_id = key_rotation.new_index_key()
            audit.record(None, "keys.new_index", target=f"index key {index_id}")
            self.stdout.write(f"New blind-index key {index_id}.")
        if options["new_index_key"] or options["rebuild_index"]:
            reindexed = self._run("re-indexed", key_rotation.reindex_batch, size, pause)
            audit.record(None, "keys.rebuild_index", target=f"{reindexed} case(s) re-indexed")
            self.stdout.write(f"{reindexed} case(s) re-indexed.")
        self._print_inventory()

    def _run(self, verb: str, step: Any, size: int, pause: float) -> int:
        progress = {"done": 0}

        def report(done: int) -> None:
            progress["done"] = done
            self.stdout.write(f"  {done} case(s) {verb} so far")

        try:
            return key_rotation.run_batches(step, size, pause, after_batch=report)
        except KeyboardInterrupt:
            raise CommandError(
                f"interrupted after {progress['done']} case(s) {verb}; nothing is lost: "
                "run the same command again to continue"
            ) from None
