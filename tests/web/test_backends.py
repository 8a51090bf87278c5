"""The sign-in backend reads the user's membership with the user, and never keeps it between requests."""

from __future__ import annotations

from django.urls import reverse

from rightsfirst.web.backends import MembershipModelBackend
from rightsfirst.web.models import Membership


def test_the_user_comes_with_membership_and_agency_in_one_query(users, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = MembershipModelBackend().get_user(users["case_worker"].pk)
        assert user.membership.role == "case_worker"
        assert user.membership.agency.name == users["case_worker"].membership.agency.name
    with django_assert_num_queries(1):
        no_one = MembershipModelBackend().get_user(10**9)
    assert no_one is None


def test_an_inactive_user_is_not_signed_in(users):
    user = users["case_worker"]
    user.is_active = False
    user.save()
    assert MembershipModelBackend().get_user(user.pk) is None


def test_a_revoked_membership_counts_at_the_next_request(client_for, users):
    client = client_for("case_worker")
    assert client.session["_auth_user_backend"] == "rightsfirst.web.backends.MembershipModelBackend"
    assert client.get(reverse("case_list")).status_code == 200
    Membership.objects.filter(user=users["case_worker"]).delete()
    assert client.get(reverse("case_list")).status_code == 403
