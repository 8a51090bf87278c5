"""Field-by-field encryption under one data key per case, sealed narrative fields, blind-index tokens.

Existing rows are converted case by case: each case gets a data key (wrapped by the active master
key); its person's identity, until now one encrypted blob under a key of the person's own, is
sealed field by field under the case's key; the narrative fields are sealed and their clear
columns dropped; the search tokens are computed. A case that already has a data key is left as
it is, so running the conversion again changes nothing. Going back (migrate casework 0002)
decrypts everything into the earlier layout.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import migrations, models

NAMES = (
    "given_names",
    "family_name",
    "other_names",
    "date_of_birth",
    "phone",
    "email",
    "address",
    "identity_documents",
)
PERSON_TABLE = "casework_person"
# (model, narrative field) sealed under the case's key; the measure's are handled on their own.
NARRATIVE = (
    ("StageChange", "note"),
    ("ServiceEvent", "note"),
    ("Consent", "agreed_to"),
    ("Referral", "purpose"),
)
NONCE = 12


def _fire_deferred_checks(schema_editor: Any) -> None:
    # PostgreSQL will not ALTER a table with foreign-key checks still queued in the transaction
    # (queued for rows inserted, or updated twice, in it): run them now, before the columns go.
    if schema_editor is not None and schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


# --- The earlier layout: one JSON blob per person under a data key of the person's own --------


def _open_person_blob(person: dict[str, Any]) -> dict[str, str]:
    from rightsfirst.web import crypto

    blob, wrapped, key_id = bytes(person["identity_ciphertext"] or b""), person["wrapped_data_key"], person["key_id"]
    if not blob:
        return {}
    pid = str(person["id"])
    master = crypto.key_ring().key(key_id)
    wrapped = bytes(wrapped)
    try:
        data_key = AESGCM(master).decrypt(wrapped[:NONCE], wrapped[NONCE:], f"data-key|{pid}|{key_id}".encode())
        plain = AESGCM(data_key).decrypt(blob[:NONCE], blob[NONCE:], f"person|identity|{pid}|{key_id}".encode())
    except Exception as error:
        raise crypto.DecryptionError(f"person {pid}: identity could not be decrypted for conversion") from error
    value = json.loads(plain)
    return {name: str(value.get(name) or "") for name in NAMES}


def _person_blob(pid: str, identity: dict[str, str]) -> dict[str, Any]:
    import secrets

    from rightsfirst.web import crypto

    ring = crypto.key_ring()
    data_key = secrets.token_bytes(32)
    nonce = secrets.token_bytes(NONCE)
    wrapped = nonce + AESGCM(ring.active).encrypt(nonce, data_key, f"data-key|{pid}|{ring.active_id}".encode())
    plain = json.dumps({name: identity.get(name, "") for name in NAMES}, sort_keys=True, ensure_ascii=False)
    nonce = secrets.token_bytes(NONCE)
    blob = nonce + AESGCM(data_key).encrypt(nonce, plain.encode(), f"person|identity|{pid}|{ring.active_id}".encode())
    return {"identity_ciphertext": blob, "wrapped_data_key": wrapped, "key_id": ring.active_id}


# --- Forward ----------------------------------------------------------------------------------


def seal_existing(apps: Any, schema_editor: Any) -> None:
    from rightsfirst.web import blind_index, crypto
    from rightsfirst.web.models.records import split_details

    Case = apps.get_model("casework", "Case")
    Person = apps.get_model("casework", "Person")
    Measure = apps.get_model("casework", "Measure")
    SearchToken = apps.get_model("casework", "SearchToken")
    todo = Case.objects.filter(master_key_id="").order_by("pk")
    if not todo.exists():
        return  # a new database, or one already converted: no key is needed
    index_root = blind_index.root_key()
    index_id = blind_index.key_id(index_root)
    # A person with several cases (none in practice) is sealed under the first case's key; every
    # case is indexed with the person's names.
    identities: dict[str, dict[str, str]] = {}
    for case_pk, reference, person_id in todo.values_list("pk", "reference", "person_id").iterator():
        data_key = crypto.new_data_key()
        wrapped, master_id = crypto.wrap_data_key(data_key, f"case|{reference}")
        pid = str(person_id)
        if pid not in identities:
            legacy = Person.objects.filter(pk=person_id).values(
                "id", "identity_ciphertext", "wrapped_data_key", "key_id"
            )
            identities[pid] = identity = _open_person_blob(legacy.get())
            sealed_identity = {
                f"{name}_sealed": crypto.seal_text(data_key, PERSON_TABLE, name, pid, identity.get(name, ""))
                for name in NAMES
            }
            Person.objects.filter(pk=person_id).update(identity_ciphertext=b"", **sealed_identity)
        # Each row is updated once: PostgreSQL queues foreign-key checks for a row updated twice
        # in one transaction, and would then refuse to drop the clear columns.
        for model_name, field in NARRATIVE:
            model = apps.get_model("casework", model_name)
            table = model._meta.db_table
            for pk, text in model.objects.filter(case_id=case_pk).exclude(**{field: ""}).values_list("pk", field):
                sealed_text = crypto.seal_text(data_key, table, field, str(pk), text)
                model.objects.filter(pk=pk).update(**{field: "", f"{field}_sealed": sealed_text})
        table = Measure._meta.db_table
        measures = Measure.objects.filter(case_id=case_pk).values_list("pk", "override_justification", "details")
        for pk, justification, details in measures:
            clear, narrative = split_details(details or {})
            if not (justification or narrative):
                continue
            text = json.dumps(narrative, sort_keys=True, ensure_ascii=False) if narrative else ""
            Measure.objects.filter(pk=pk).update(
                details=clear,
                details_text_sealed=crypto.seal_text(data_key, table, "details_text", str(pk), text),
                override_justification="",
                override_justification_sealed=crypto.seal_text(
                    data_key, table, "override_justification", str(pk), justification
                ),
            )
        SearchToken.objects.filter(case_id=case_pk).delete()
        SearchToken.objects.bulk_create(
            SearchToken(case_id=case_pk, index=index, token=token)
            for index, token in sorted(blind_index.tokens_for(identities[pid], index_root))
        )
        Case.objects.filter(pk=case_pk).update(wrapped_data_key=wrapped, master_key_id=master_id, index_key_id=index_id)
    _fire_deferred_checks(schema_editor)


# --- Back -------------------------------------------------------------------------------------


def unseal(apps: Any, schema_editor: Any) -> None:
    from rightsfirst.web import crypto

    Case = apps.get_model("casework", "Case")
    Person = apps.get_model("casework", "Person")
    Measure = apps.get_model("casework", "Measure")
    SearchToken = apps.get_model("casework", "SearchToken")
    columns = [f"{name}_sealed" for name in NAMES]
    done: set[str] = set()
    converted = (
        Case.objects.exclude(master_key_id="")
        .order_by("pk")
        .values_list("pk", "reference", "person_id", "wrapped_data_key", "master_key_id")
    )
    for case_pk, reference, person_id, wrapped, master_id in converted.iterator():
        data_key = crypto.unwrap_data_key(bytes(wrapped), f"case|{reference}", master_id)
        pid = str(person_id)
        if pid not in done:
            done.add(pid)
            stored = Person.objects.filter(pk=person_id).values_list(*columns).get()
            identity = {
                name: crypto.open_text(data_key, PERSON_TABLE, name, pid, value)
                for name, value in zip(NAMES, stored, strict=True)
            }
            Person.objects.filter(pk=person_id).update(**_person_blob(pid, identity), **{c: b"" for c in columns})
        for model_name, field in NARRATIVE:
            model = apps.get_model("casework", model_name)
            table = model._meta.db_table
            for pk, value in model.objects.filter(case_id=case_pk).values_list("pk", f"{field}_sealed"):
                if value:
                    text = crypto.open_text(data_key, table, field, str(pk), value)
                    model.objects.filter(pk=pk).update(**{field: text, f"{field}_sealed": b""})
        table = Measure._meta.db_table
        measures = Measure.objects.filter(case_id=case_pk).values_list(
            "pk", "details", "details_text_sealed", "override_justification_sealed"
        )
        for pk, details, narrative, justification in measures:
            if not (narrative or justification):
                continue
            text = crypto.open_text(data_key, table, "details_text", str(pk), narrative)
            Measure.objects.filter(pk=pk).update(
                details={**(details or {}), **(json.loads(text) if text else {})},
                details_text_sealed=b"",
                override_justification=crypto.open_text(
                    data_key, table, "override_justification", str(pk), justification
                ),
                override_justification_sealed=b"",
            )
        SearchToken.objects.filter(case_id=case_pk).delete()
        Case.objects.filter(pk=case_pk).update(wrapped_data_key=b"", master_key_id="", index_key_id="")
    _fire_deferred_checks(schema_editor)


def sealed() -> models.BinaryField:
    return models.BinaryField(blank=True, default=b"", editable=False)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0007_retention_erasure"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="wrapped_data_key",
            field=models.BinaryField(blank=True, default=b"", editable=False),
        ),
        migrations.AddField(
            model_name="case",
            name="master_key_id",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=16),
        ),
        migrations.AddField(
            model_name="case",
            name="index_key_id",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=16),
        ),
        *(migrations.AddField(model_name="person", name=f"{name}_sealed", field=sealed()) for name in NAMES),
        *(
            migrations.AddField(model_name=model.lower(), name=f"{field}_sealed", field=sealed())
            for model, field in NARRATIVE
        ),
        migrations.AddField(model_name="measure", name="override_justification_sealed", field=sealed()),
        migrations.AddField(model_name="measure", name="details_text_sealed", field=sealed()),
        migrations.AlterField(
            model_name="measure",
            name="details",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Further coded details the engine does not use (free text is sealed).",
            ),
        ),
        migrations.CreateModel(
            name="SearchToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("index", models.CharField(max_length=20)),
                ("token", models.PositiveIntegerField()),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=models.deletion.CASCADE, related_name="search_tokens", to="casework.case"
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["index", "token"], name="search_token_lookup")],
            },
        ),
        migrations.RunPython(seal_existing, unseal),
        # Defaults on the clear columns before they go, so that going back can add them again to
        # existing rows (the conversion back then fills them).
        migrations.AlterField(model_name="person", name="identity_ciphertext", field=models.BinaryField(default=b"")),
        migrations.AlterField(model_name="person", name="wrapped_data_key", field=models.BinaryField(default=b"")),
        migrations.AlterField(
            model_name="person",
            name="key_id",
            field=models.CharField(default="", editable=False, max_length=32),
        ),
        migrations.AlterField(
            model_name="consent",
            name="agreed_to",
            field=models.TextField(default="", verbose_name="what was agreed"),
        ),
        migrations.AlterField(
            model_name="referral",
            name="purpose",
            field=models.CharField(default="", max_length=300, verbose_name="purpose"),
        ),
        migrations.RemoveField(model_name="person", name="identity_ciphertext"),
        migrations.RemoveField(model_name="person", name="wrapped_data_key"),
        migrations.RemoveField(model_name="person", name="key_id"),
        *(migrations.RemoveField(model_name=model.lower(), name=field) for model, field in NARRATIVE),
        migrations.RemoveField(model_name="measure", name="override_justification"),
    ]
