"""Blind-index tokens: keyed, truncated hashes of normalised names and document numbers.

The tokens live apart from the cases they point to, in their own table, so that the only
question they answer is "which cases might hold this value?" (see rightsfirst.web.blind_index).
"""

from __future__ import annotations

from django.db import models

from rightsfirst.web.models.cases import Case


class SearchToken(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="search_tokens")
    index = models.CharField(max_length=20)
    token = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["index", "token"], name="search_token_lookup")]

    def __str__(self) -> str:
        return f"search token of case {self.case_id}"
