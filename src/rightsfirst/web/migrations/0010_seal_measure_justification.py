"""The engine's `justification` fact moves out of the clear `facts` column into the sealed details.

It is free text (why a guardian came late, why a permit was not renewed ...) and can name people
and places, so it is sealed under the case's data key like every other narrative. Each measure
that has one gets its sealed details opened, the justification added, and sealed again. An erased
case (no data key left) has no text to keep: it is dropped, and `has_justification` still says
reasons were recorded (what the rules and the statistics ask). Going back puts the text into the
clear column again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.db import migrations, models

JUSTIFICATION = "justification"


def _data_keys(apps: Any) -> Callable[[int], bytes | None]:
    """Each case's data key, unwrapped once; None for an erased case."""
    from rightsfirst.web import crypto

    Case = apps.get_model("casework", "Case")
    keys: dict[int, bytes | None] = {}

    def data_key(case_pk: int) -> bytes | None:
        if case_pk not in keys:
            reference, wrapped, master_id = (
                Case.objects.filter(pk=case_pk).values_list("reference", "wrapped_data_key", "master_key_id").get()
            )
            wrapped = bytes(wrapped or b"")
            keys[case_pk] = crypto.unwrap_data_key(wrapped, f"case|{reference}", master_id) if wrapped else None
        return keys[case_pk]

    return data_key


def seal_justifications(apps: Any, schema_editor: Any) -> None:
    from rightsfirst.web import crypto

    Measure = apps.get_model("casework", "Measure")
    table = Measure._meta.db_table
    data_key = _data_keys(apps)
    rows = Measure.objects.filter(facts__has_key=JUSTIFICATION).order_by("pk")
    for pk, case_pk, facts, sealed in rows.values_list("pk", "case_id", "facts", "details_text_sealed").iterator():
        kept = {name: value for name, value in facts.items() if name != JUSTIFICATION}
        key = data_key(case_pk)
        if key is None:
            Measure.objects.filter(pk=pk).update(facts=kept, has_justification=bool(facts[JUSTIFICATION]))
            continue
        if not facts[JUSTIFICATION]:
            Measure.objects.filter(pk=pk).update(facts=kept)
            continue
        text = crypto.open_text(key, table, "details_text", str(pk), sealed)
        narrative = json.loads(text) if text else {}
        narrative[JUSTIFICATION] = facts[JUSTIFICATION]
        resealed = crypto.seal_text(
            key, table, "details_text", str(pk), json.dumps(narrative, sort_keys=True, ensure_ascii=False)
        )
        Measure.objects.filter(pk=pk).update(facts=kept, details_text_sealed=resealed, has_justification=True)


def unseal_justifications(apps: Any, schema_editor: Any) -> None:
    from rightsfirst.web import crypto

    Measure = apps.get_model("casework", "Measure")
    table = Measure._meta.db_table
    data_key = _data_keys(apps)
    rows = Measure.objects.exclude(details_text_sealed=b"").order_by("pk")
    for pk, case_pk, facts, sealed in rows.values_list("pk", "case_id", "facts", "details_text_sealed").iterator():
        key = data_key(case_pk)
        if key is None:
            continue
        narrative = json.loads(crypto.open_text(key, table, "details_text", str(pk), sealed) or "{}")
        if JUSTIFICATION not in narrative:
            continue
        justification = narrative.pop(JUSTIFICATION)
        text = json.dumps(narrative, sort_keys=True, ensure_ascii=False) if narrative else ""
        Measure.objects.filter(pk=pk).update(
            facts={**facts, JUSTIFICATION: justification},
            details_text_sealed=crypto.seal_text(key, table, "details_text", str(pk), text),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0009_seal_erasure_request_note"),
    ]

    operations = [
        migrations.AddField(
            model_name="measure",
            name="has_justification",
            field=models.BooleanField(
                default=False,
                help_text="Whether reasons were recorded for the review (the text is sealed in the details).",
            ),
        ),
        migrations.RunPython(seal_justifications, unseal_justifications, elidable=False),
    ]
