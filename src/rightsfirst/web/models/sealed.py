"""Narrative fields sealed under their case's data key, readable as ordinary attributes.

A record with a narrative field (a note, what a consent covers, an override's justification ...)
stores it in a binary column `<name>_sealed`; the model declares a property `<name>` that
decrypts on first read and seals on save, so pages and forms use `event.note` as before and
never see a key. Nothing is decrypted unless the attribute is read: lists that do not show a
note never decrypt it.

The associated data names the row's primary key. Rows whose key the database assigns are
therefore written in two steps inside one transaction: the row with an empty value first, then
the sealed value once the key is known. Bulk inserts call `seal_bulk` after `bulk_create`
(which returns the keys).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import connections, models, router, transaction

from rightsfirst.web import crypto

if TYPE_CHECKING:
    from rightsfirst.web.models.cases import Case


def sealed_column() -> models.BinaryField:
    """The binary column holding one sealed narrative value (empty bytes for an empty value)."""
    return models.BinaryField(default=b"", blank=True, editable=False)


class SealedRecord(models.Model):
    """A record of a case with narrative fields sealed under the case's data key."""

    # The plain names of the sealed fields; each has a column `<name>_sealed` and a property `<name>`.
    SEALED: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    def sealing_case(self) -> Case:
        """The case whose data key seals this record's narrative fields."""
        case: Case = getattr(self, "case")  # noqa: B009 - every subclass has a `case` foreign key
        return case

    def _plain(self) -> dict[str, str]:
        return self.__dict__.setdefault("_sealed_plain", {})

    def _pending(self) -> set[str]:
        return self.__dict__.setdefault("_sealed_pending", set())

    def opened(self, name: str) -> str:
        """The decrypted value of one sealed field (decrypted once, then kept on the instance)."""
        plain = self._plain()
        if name not in plain:
            stored = getattr(self, f"{name}_sealed")
            plain[name] = (
                crypto.open_text(self.sealing_case().data_key(), self._meta.db_table, name, str(self.pk), stored)
                if stored
                else ""
            )
        return plain[name]

    def set_plain(self, name: str, value: str | None) -> None:
        """Give a sealed field a new value; it is encrypted when the record is saved."""
        if name not in self.SEALED:
            raise AttributeError(f"{type(self).__name__} has no sealed field {name!r}")
        self._plain()[name] = "" if value is None else str(value)
        self._pending().add(name)

    def seal_pending(self) -> list[str]:
        """Encrypt the values changed since the last save into their columns; returns the columns set.

        Needs the primary key (it is part of the associated data).
        """
        if self.pk is None:
            raise ValueError("a record needs its primary key before its narrative fields can be sealed")
        pending = self._pending()
        if not pending:
            return []
        data_key = self.sealing_case().data_key()
        columns = []
        for name in sorted(pending):
            column = f"{name}_sealed"
            sealed = crypto.seal_text(data_key, self._meta.db_table, name, str(self.pk), self._plain()[name])
            setattr(self, column, sealed)
            columns.append(column)
        pending.clear()
        return columns

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, sealing changed narrative fields (in two writes, in one transaction, for a new row)."""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = [f"{name}_sealed" if name in self.SEALED else name for name in update_fields]
        pending = self._pending()
        for name in [name for name in pending if not self._plain()[name]]:
            # An empty value is stored as empty bytes: nothing to seal, no second write.
            setattr(self, f"{name}_sealed", b"")
            pending.discard(name)
        if not pending:
            super().save(*args, **kwargs)
            return
        if self.pk is not None:
            self.seal_pending()
            super().save(*args, **kwargs)
            return
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            for name in self._pending():
                setattr(self, f"{name}_sealed", b"")
            super().save(*args, **kwargs)
            columns = self.seal_pending()
            type(self)._base_manager.using(using).filter(pk=self.pk).update(
                **{column: getattr(self, column) for column in columns}
            )

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        """Reload, forgetting any decrypted or unsaved narrative values."""
        super().refresh_from_db(*args, **kwargs)
        self._plain().clear()
        self._pending().clear()


def seal_bulk(records: Iterable[SealedRecord]) -> None:
    """Seal and write the narrative fields of records just inserted with bulk_create (keys known).

    As `save` does, an empty value is written as empty bytes without being sealed.
    """
    by_model: dict[type[SealedRecord], list[SealedRecord]] = {}
    for record in records:
        by_model.setdefault(type(record), []).append(record)
    for model, rows in by_model.items():
        columns: set[str] = set()
        changed = []
        for row in rows:
            pending, plain = row._pending(), row._plain()
            emptied = [name for name in pending if not plain[name]]
            for name in emptied:
                setattr(row, f"{name}_sealed", b"")
                pending.discard(name)
            written = [f"{name}_sealed" for name in emptied] + row.seal_pending()
            if written:
                columns.update(written)
                changed.append(row)
        if changed:
            write_columns(model, sorted(columns), changed)


def write_columns(model: type[models.Model], names: Iterable[str], rows: Sequence[models.Model]) -> None:
    """UPDATE the named columns of saved rows with the values their attributes hold now.

    One statement run over all the rows (executemany): Django's bulk_update builds a CASE
    expression per row, which took most of the time of a bulk seeding.
    """
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in names]
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    key = model._meta.pk
    # Table and column names come from the model and are quoted by the backend; values are parameters.
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # nosec B608  # no outside text in the statement
        quote(model._meta.db_table),
        ", ".join(f"{quote(field.column)} = %s" for field in fields),
        quote(key.column),
    )
    values = [
        [
            *(field.get_db_prep_value(getattr(row, field.attname), connection) for field in fields),
            key.get_db_prep_value(row.pk, connection),
        ]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)
