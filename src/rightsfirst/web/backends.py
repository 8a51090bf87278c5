"""The sign-in backend: Django's, with the user's membership read in the same query."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class MembershipModelBackend(ModelBackend):
    """Django's ModelBackend; the signed-in user of each request comes with their membership
    (agency and role) and its agency in one query.

    Every page asks for the role (access control) and audited pages for the agency (the audit
    entry names it): two more queries per request otherwise. They are still read afresh for
    every request, so a changed role or a revoked membership counts at the next request.
    """

    def get_user(self, user_id: Any) -> Any:
        users = get_user_model()._default_manager.select_related("membership__agency")
        try:
            user = users.get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
