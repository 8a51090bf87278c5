"""Every stored field is in the data inventory, and identity and narrative are always sealed (SEC-24)."""

from __future__ import annotations

from django.apps import apps
from django.db import models

from rightsfirst.web.data_inventory import CASE, IDENTITY, INVENTORY, NARRATIVE, REFERENCE, SECURITY, STAFF


def _stored_fields() -> dict[str, models.Field]:
    found = {}
    for model in apps.get_app_config("casework").get_models():
        for field in model._meta.concrete_fields:
            found[f"{model.__name__}.{field.name}"] = field
    return found


def test_every_stored_field_has_an_inventory_entry_and_no_entry_is_stale():
    stored = _stored_fields()
    assert sorted(set(stored) - set(INVENTORY)) == [], "add these fields to data_inventory.INVENTORY"
    assert sorted(set(INVENTORY) - set(stored)) == [], "these inventory entries name no stored field"


def test_every_entry_says_what_it_is_and_why():
    for name, (kind, why) in INVENTORY.items():
        assert kind in {IDENTITY, NARRATIVE, CASE, STAFF, SECURITY, REFERENCE}, name
        assert len(why) >= 3, name


def test_identity_and_narrative_are_only_ever_sealed_columns():
    stored = _stored_fields()
    sensitive = [name for name, (kind, _) in INVENTORY.items() if kind in (IDENTITY, NARRATIVE)]
    assert len(sensitive) >= 14
    for name in sensitive:
        assert name.endswith("_sealed") and isinstance(stored[name], models.BinaryField), name


def test_no_free_text_column_is_classed_as_a_plain_case_fact():
    # A TextField classed as a case fact would hold narrative in clear: it must be staff text
    # (reasons the forms ask to keep free of names) or be sealed.
    stored = _stored_fields()
    for name, field in stored.items():
        if isinstance(field, models.TextField):
            assert INVENTORY[name][0] == STAFF, name
