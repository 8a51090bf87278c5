"""The guided screening: one question at a time, "I don't know" always allowed, the engine choosing
what to ask next; the stored result, re-screening and the history of screenings."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from rightsfirst.engine.inputs import SITUATION_SPEC
from rightsfirst.web import adapter
from rightsfirst.web import screening_questions as questions
from rightsfirst.web.models import AuditEvent, Screening
from tests.web.conftest import CHILD_UNCERTAIN_AGE, IDENTITY

QUESTION_FIELD = re.compile(r'name="question" value="([^"]+)"')


def start_url(case: Any) -> str:
    return str(reverse("screening_start", args=[case.reference]))


def current_question(client: Any, case: Any) -> str:
    """The path of the question the form shows now (the hidden field the answer is posted with)."""
    response = client.get(start_url(case))
    assert response.status_code == 200
    return question_in(response.content.decode())


def answer(client: Any, case: Any, path: str, **data: Any) -> Any:
    return client.post(reverse("screening_answer", args=[case.reference]), {"question": path, **data})


def draft_of(client: Any, case: Any) -> Any:
    """The screening draft kept in the user's session for this case (None when there is none)."""
    return client.session.get(f"screening-draft:{case.reference}")


def question_in(page: str) -> str:
    found = QUESTION_FIELD.search(page)
    assert found, "expected a question, got the summary page"
    return found.group(1)


def finish(client: Any, case: Any) -> Any:
    return client.post(reverse("screening_finish", args=[case.reference]))


def answer_the_rest(client: Any, case: Any, limit: int = 30) -> list[str]:
    """Answer "I don't know" to every remaining question; returns the questions asked, in order."""
    asked: list[str] = []
    for _ in range(limit):
        response = client.get(start_url(case))
        found = QUESTION_FIELD.search(response.content.decode())
        if not found:
            return asked
        path = found.group(1)
        asked.append(path)
        question = questions.BY_PATH[path]
        if question.input in {"number", "range"}:
            reply = answer(client, case, path, dont_know="1")
        elif question.input == "yes_no":
            reply = answer(client, case, path, answer=questions.DONT_KNOW)
        else:
            reply = answer(client, case, path, answer=[questions.DONT_KNOW])
        assert reply.status_code == 302, reply.content.decode()[:500]
    raise AssertionError(f"the questions never ended: {asked}")


def test_every_fact_of_the_situation_schema_has_a_question_and_every_choice_a_plain_label() -> None:
    def leaves(spec: Any, prefix: str = "") -> set[str]:
        found = set()
        for item in spec.fields:
            if item.kind == "object":
                found |= leaves(item.obj, f"{prefix}{item.name}.")
            else:
                found.add(prefix + item.name)
        return found

    assert set(questions.BY_PATH) == leaves(SITUATION_SPEC)
    for question in questions.QUESTIONS:
        if question.input == "choices":
            labels = questions.CHOICE_LABELS[question.path]
            assert {value for value, _label in question.choices()} == set(labels), question.path
    assert questions.BY_PATH["means"].choices()[5] == ("deception", "Lied to or tricked")


def test_walk_through_without_javascript_for_a_child_whose_age_is_uncertain(client_for: Any, make_case: Any) -> None:
    case = make_case()
    client = client_for("case_worker")

    page = client.get(start_url(case))
    assert page.status_code == 200
    text = page.content.decode()
    assert "How old does the person say they are?" in text
    assert "Question 1" in text
    assert "I don&#x27;t know" in text or "I don't know" in text

    assert answer(client, case, "person.stated_age", answer="19").status_code == 302
    # A stated adult age leaves the engine asking whether anything suggests a child.
    assert current_question(client, case) == "person.indications_of_minority"
    assert answer(client, case, "person.indications_of_minority", answer=["appearance"]).status_code == 302
    # Presumed a child now: only a confirmed age could change that, so that is what is asked.
    assert current_question(client, case) == "person.age"
    assert answer(client, case, "person.age", dont_know="1").status_code == 302
    assert current_question(client, case) == "actions"
    answer(client, case, "actions", answer=["recruitment"])
    assert current_question(client, case) == "purposes"
    answer(client, case, "purposes", answer=["sexual_exploitation"])
    page = client.get(start_url(case)).content.decode()
    assert 'value="means"' in page
    assert "Why this matters" in page
    answer(client, case, "means", answer=[questions.DONT_KNOW])
    asked = answer_the_rest(client, case)
    # A child is not asked whether they agreed, but is asked whether they are alone.
    assert "consent_to_exploitation" not in asked
    assert "person.unaccompanied" in asked
    assert "person.age_range" not in asked

    draft = draft_of(client, case)
    assert draft is not None
    assert IDENTITY["family_name"] not in str(draft) and IDENTITY["given_names"] not in str(draft)

    response = finish(client, case)
    assert response.status_code == 302
    assert response["Location"] == reverse("screening_detail", args=[case.reference, 1])
    screening = Screening.objects.get(case=case)
    assert screening.number == 1
    assert screening.finding == "presumed"
    assert screening.treated_as_child is True
    assert screening.framework_version == adapter.framework().version
    assert screening.situation == {
        "person": {"stated_age": 19, "indications_of_minority": ["appearance"]},
        "actions": ["recruitment"],
        "purposes": ["sexual_exploitation"],
    }
    assert AuditEvent.objects.filter(action="screening.record", case_reference=case.reference).count() == 1
    assert draft_of(client, case) is None
    case.refresh_from_db()
    assert case.treated_as_child and case.finding == "presumed"


def test_i_dont_know_leaves_the_fact_out_and_none_of_these_stores_empty(client_for: Any, make_case: Any) -> None:
    case = make_case()
    client = client_for("case_worker")
    answer(client, case, "person.stated_age", answer="35")
    answer(client, case, "person.indications_of_minority", answer=[questions.NONE_OF_THESE])
    answer(client, case, "actions", answer=[questions.NONE_OF_THESE])
    answer(client, case, "crossed_border", answer=questions.DONT_KNOW)
    answer(client, case, "person.needs_interpreter", answer="yes")
    answer(client, case, "person.non_national", answer="no")
    assert finish(client, case).status_code == 302
    stored = Screening.objects.get(case=case).situation
    assert stored["actions"] == []
    assert stored["person"] == {
        "stated_age": 35,
        "indications_of_minority": [],
        "needs_interpreter": True,
        "non_national": False,
    }
    assert "crossed_border" not in stored
    assert "means" not in stored


def test_changing_an_answer_to_i_dont_know_removes_it_again(client_for: Any, make_case: Any) -> None:
    case = make_case()
    client = client_for("case_worker")
    answer(client, case, "smuggling.facilitated_irregular_entry", answer="yes")
    assert draft_of(client, case)["situation"] == {"smuggling": {"facilitated_irregular_entry": True}}
    answer(client, case, "smuggling.facilitated_irregular_entry", answer=questions.DONT_KNOW)
    assert draft_of(client, case)["situation"] == {}


def test_the_engine_missing_facts_choose_the_next_question(client_for: Any, make_case: Any) -> None:
    adult = make_case({"person": {"age": 30}, "actions": ["recruitment"], "purposes": ["forced_labour"]})
    client = client_for("case_worker")
    page = client.get(start_url(adult)).content.decode()
    assert question_in(page) == "means"
    assert "For an adult, a means is required" in page  # the engine's reason, shown as why it matters

    # A child whose age is confirmed needs no means: the question is never asked.
    child = make_case({"person": {"age": 15}, "actions": ["recruitment"], "purposes": ["forced_labour"]})
    asked = answer_the_rest(client, child)
    assert "means" not in asked
    assert "person.stated_age" not in asked
    assert asked[0] == "crossed_border"


def test_when_the_finding_cannot_change_finish_and_save_is_offered(client_for: Any, make_case: Any) -> None:
    case = make_case({"person": {"age": 30}, "actions": ["recruitment"], "purposes": ["forced_labour"]})
    client = client_for("case_worker")
    answer(client, case, "means", answer=["deception", "debt_bondage"])
    page = client.get(start_url(case)).content.decode()
    assert "Finish and save" in page
    assert "Save what I have now" not in page
    assert question_in(page) == "person.age_at_action"


def test_back_shows_the_previous_question_with_its_answer(client_for: Any, make_case: Any) -> None:
    case = make_case()
    client = client_for("case_worker")
    answer(client, case, "person.stated_age", answer="19")
    page = client.get(start_url(case)).content.decode()
    back = reverse("screening_start", args=[case.reference]) + "?question=person.stated_age"
    assert back in page
    previous = client.get(back).content.decode()
    assert 'value="person.stated_age"' in previous
    assert 'value="19"' in previous


def test_bad_age_shows_a_message_next_to_the_field_and_saves_nothing(client_for: Any, make_case: Any) -> None:
    case = make_case()
    client = client_for("case_worker")
    client.get(start_url(case))
    for value, message in (
        ("abc", "Enter the age as a number of years"),
        ("200", "Enter an age between 0 and 130"),
        ("", "Enter an age in years, or choose"),
    ):
        response = answer(client, case, "person.stated_age", answer=value)
        assert response.status_code == 400
        text = response.content.decode()
        assert 'class="field-error"' in text and message in text
        assert 'class="error-summary"' in text
        assert draft_of(client, case)["situation"] == {}
    response = answer(client, case, "person.age_range", low="17", high="12")
    assert response.status_code == 400
    assert "must not be above" in response.content.decode()
    response = answer(client, case, "actions", answer=["recruitment", questions.NONE_OF_THESE])
    assert response.status_code == 400
    assert draft_of(client, case)["situation"] == {}
    assert not Screening.objects.filter(case=case).exists()


def test_bad_facts_at_finish_show_the_path_and_problem_and_keep_the_draft(client_for: Any, make_case: Any) -> None:
    case = make_case()
    client = client_for("case_worker")
    client.get(start_url(case))
    session = client.session
    key = f"screening-draft:{case.reference}"
    session[key] = {**session[key], "situation": {"person": {"stated_age": 200}}}
    session.save()
    response = finish(client, case)
    assert response.status_code == 400
    text = response.content.decode()
    assert "situation.person.stated_age" in text
    assert "above the maximum" in text
    assert not Screening.objects.filter(case=case).exists()
    assert draft_of(client, case)["situation"] == {"person": {"stated_age": 200}}


def test_re_screening_keeps_the_old_one_and_the_history_shows_what_changed(client_for: Any, make_case: Any) -> None:
    case = make_case(CHILD_UNCERTAIN_AGE)
    first = Screening.objects.get(case=case)
    client = client_for("case_worker")
    page = client.get(start_url(case)).content.decode()
    assert "The answers from screening 1 are filled in" in page
    # Facts already known are not asked again: the first question is one still unknown.
    assert question_in(page) == "person.age"
    answer(client, case, "means", answer=["deception"])
    assert finish(client, case).status_code == 302

    assert list(case.screenings.order_by("number").values_list("number", flat=True)) == [1, 2]
    first.refresh_from_db()
    assert first.situation == CHILD_UNCERTAIN_AGE
    second = Screening.objects.get(case=case, number=2)
    assert second.situation["means"] == ["deception"]
    assert second.situation["person"] == CHILD_UNCERTAIN_AGE["person"]
    assert second.finding == "established"

    history = client.get(reverse("screening_history", args=[case.reference]))
    assert history.status_code == 200
    text = history.content.decode()
    assert reverse("screening_detail", args=[case.reference, 1]) in text
    assert reverse("screening_detail", args=[case.reference, 2]) in text
    assert text.index("Screening 2") < text.index("Screening 1")
    assert "Changed since screening 1" in text
    assert "How it was done" in text and "Not known → Lied to or tricked" in text
    assert "Age the person gives" not in text  # unchanged answers are not listed as changes


def test_the_detail_page_shows_finding_explanation_elements_law_and_facts(client_for: Any, make_case: Any) -> None:
    case = make_case(CHILD_UNCERTAIN_AGE)
    screening = Screening.objects.get(case=case)
    response = client_for("legal_adviser").get(reverse("screening_detail", args=[case.reference, 1]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Presumed victim" in text
    assert screening.result["explanation"].split(".")[0] in text.replace("&#x27;", "'")
    assert "Not needed" in text  # a child needs no means
    assert reverse("framework_provision", args=["TIP.3c"]) in text
    assert screening.framework_version in text
    assert "Sexual exploitation" in text and "Looks like a child" in text
    assert "case_worker" in text  # who screened
    assert IDENTITY["family_name"] not in text
    assert client_for("legal_adviser").get(reverse("screening_detail", args=[case.reference, 9])).status_code == 404


def test_htmx_gets_the_next_question_alone(client_for: Any, make_case: Any) -> None:
    case = make_case()
    client = client_for("case_worker")
    response = client.post(
        reverse("screening_answer", args=[case.reference]),
        {"question": "person.stated_age", "answer": "16"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" not in text
    assert 'id="screening-step"' in text
    assert question_in(text) == "person.age"
    assert draft_of(client, case)["situation"] == {"person": {"stated_age": 16}}
    # Errors come back as a swappable fragment too.
    response = client.post(
        reverse("screening_answer", args=[case.reference]),
        {"question": "person.age", "answer": "abc"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "<html" not in response.content.decode() and "field-error" in response.content.decode()


def test_the_summary_lists_every_answer_and_offers_finish_when_nothing_is_left(client_for: Any, make_case: Any) -> None:
    case = make_case(
        {
            "person": {"age": 30, "non_national": True, "asylum_seeker": False, "needs_interpreter": False},
            "actions": ["recruitment"],
            "means": ["deception"],
            "purposes": ["forced_labour"],
            "consent_to_exploitation": False,
            "crossed_border": True,
            "smuggling": {"facilitated_irregular_entry": False},
            "indicators": [],
        }
    )
    client = client_for("case_worker")
    answer(client, case, "person.age_at_action", dont_know="1")
    page = client.get(start_url(case)).content.decode()
    assert not QUESTION_FIELD.search(page)
    assert "Check the answers" in page and "Finish and save" in page
    assert "Lied to or tricked" in page
    assert start_url(case) + "?question=means" in page


@pytest.mark.parametrize("who", ["outsider", "monitor", "first_responder"])
def test_people_without_access_to_the_case_get_not_found_everywhere(client_for: Any, make_case: Any, who: Any) -> None:
    case = make_case(CHILD_UNCERTAIN_AGE)
    client = client_for(who)
    ref = case.reference
    assert client.get(reverse("screening_start", args=[ref])).status_code == 404
    assert client.post(reverse("screening_start", args=[ref])).status_code == 404
    assert client.post(reverse("screening_answer", args=[ref]), {"question": "actions"}).status_code == 404
    assert client.post(reverse("screening_finish", args=[ref])).status_code == 404
    assert client.get(reverse("screening_history", args=[ref])).status_code == 404
    assert client.get(reverse("screening_detail", args=[ref, 1])).status_code == 404
    assert Screening.objects.filter(case=case).count() == 1


def test_a_role_that_may_view_but_not_screen_sees_results_only(client_for: Any, make_case: Any) -> None:
    case = make_case(CHILD_UNCERTAIN_AGE)
    client = client_for("guardian")
    assert client.get(reverse("screening_history", args=[case.reference])).status_code == 200
    assert client.get(reverse("screening_detail", args=[case.reference, 1])).status_code == 200
    assert client.get(start_url(case)).status_code == 404
    assert client.post(reverse("screening_finish", args=[case.reference])).status_code == 404


def test_start_again_drops_the_answers_given_since_the_last_screening(client_for: Any, make_case: Any) -> None:
    case = make_case(CHILD_UNCERTAIN_AGE)
    client = client_for("coordinator")
    answer(client, case, "means", answer=["threat"])
    assert draft_of(client, case)["situation"]["means"] == ["threat"]
    assert client.post(start_url(case)).status_code == 302
    assert draft_of(client, case)["situation"] == CHILD_UNCERTAIN_AGE


def test_signs_noticed_come_from_the_engine_catalogue(client_for: Any, make_case: Any) -> None:
    case = make_case()
    client = client_for("case_worker")
    page = client.get(start_url(case) + "?question=indicators").content.decode()
    catalogue = adapter.framework().indicators
    first = next(iter(catalogue.indicators.values()))
    assert first.label.replace("'", "&#x27;") in page
    assert next(iter(catalogue.dimensions.values())).title in page
    response = answer(client, case, "indicators", answer=["not_a_sign"])
    assert response.status_code == 400
    assert "Choose from the answers shown" in response.content.decode()
    answer(client, case, "indicators", answer=["cdst_documents_taken", "dec_job_nature"])
    assert finish(client, case).status_code == 302
    stored = Screening.objects.get(case=case)
    assert sorted(stored.situation["indicators"]) == ["cdst_documents_taken", "dec_job_nature"]
    assert stored.result["indicators"] is not None
