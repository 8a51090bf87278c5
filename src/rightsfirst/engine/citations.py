"""Every citation a rule uses is declared here, so the framework check can prove it exists."""

from __future__ import annotations

CITED: dict[str, tuple[str, ...]] = {}


def cites(rule: str, *provision_ids: str) -> tuple[str, ...]:
    """Declare that `rule` rests on these provisions; returns them for use in results."""
    if rule in CITED and CITED[rule] != provision_ids:
        raise ValueError(f"rule {rule!r} is declared twice with different citations")
    CITED[rule] = provision_ids
    return provision_ids
