"""`rightsfirst manage import_htcds`: every row checked, all or nothing, cases opened through the workflow.

Every person, name, number and address below is fictional.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from rightsfirst.web import blind_index, workflow
from rightsfirst.web.models import AuditEvent, Case, Person, Screening, SearchToken

HEADER = (
    "cas_IncomingReferralDate,prs_FirstName,prs_SecondName,prs_Birthdate,prs_Gender,prs_Citizenship,"
    "prs_MobilePhone,prs_IdentityNumber,prs_PrimaryLanguage,vic_TypeOfExploitation,vic_MethodsOfControl,"
    "vic_MethodOfRecruitment,vic_TraffickingStatus,vic_TraffickingStatusDecisionMakingOrg,cco_CaseComment"
)


def day(offset: int) -> str:
    return (workflow.today() - dt.timedelta(days=offset)).isoformat()


def birth(years: int) -> str:
    today = workflow.today()
    return today.replace(year=today.year - years, day=min(today.day, 28)).isoformat()


def clean_rows() -> list[str]:
    return [
        # An adult, facts for a screening, identified elsewhere by an NGO.
        f"{day(20)},Quillonah,Vexbridge,{birth(30)},Feminine,RO;MD,+40 712 345 678,ZZ9PLURALZ,ron,"
        "SexualExploitation,FalsePromises;PhysicalThreats,ThroughOnlineSocialNetworks,ActualVictimOfTrafficking,NGO,",
        # A child (by birth date), facts for a screening.
        f"{day(5)},Thornia,Examplova,{birth(15)},Masculine,NG,,,eng,ForcedBegging,,,PossibleVictimOfTrafficking,Police,",
        # No exploitation named: registered, not screened.
        f"{day(1)},Glimmer,Fictanu,,NonSpecifiedUnknown,,,,,,,,,,",
    ]


def write(tmp_path: Path, rows: list[str], header: str = HEADER, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def run(path: Path, *extra: str, user: str = "case_worker", agency: str = "Fictional Shelter") -> str:
    out = io.StringIO()
    call_command(
        "import_htcds", str(path), "--agency", agency, "--user", user, *extra, stdout=out, stderr=io.StringIO()
    )
    return out.getvalue()


def failure(path: Path, *extra: str, **options: Any) -> str:
    before = (Case.objects.count(), Person.objects.count(), AuditEvent.objects.count(), SearchToken.objects.count())
    with pytest.raises(CommandError) as caught:
        run(path, *extra, **options)
    after = (Case.objects.count(), Person.objects.count(), AuditEvent.objects.count(), SearchToken.objects.count())
    assert after == before, "something was stored although the import failed"
    return str(caught.value)


def test_a_clean_file_opens_every_case_through_the_workflow(users: dict[str, Any], tmp_path: Path) -> None:
    out = run(write(tmp_path, clean_rows()))
    assert "3 cases were opened; 2 of them screened from the file's facts." in out
    assert "ActualVictimOfTrafficking 1, PossibleVictimOfTrafficking 1" in out
    assert "Checked but not stored: cco_CaseComment." in out
    cases = list(Case.objects.order_by("referred_on"))
    assert len(cases) == 3
    worker = users["case_worker"]
    adult = next(case for case in cases if case.referred_on == workflow.today() - dt.timedelta(days=20))
    # Identity is sealed under the case's own key and nowhere in clear.
    assert adult.person.identity(adult, ("given_names", "family_name", "phone", "identity_documents")) == {
        "given_names": "Quillonah",
        "family_name": "Vexbridge",
        "phone": "+40712345678",
        "identity_documents": "ZZ9PLURALZ",
    }
    assert adult.person.sex == "female" and adult.person.nationality == "RO"
    assert adult.person.preferred_language == "ro"
    assert adult.holding_agency == worker.membership.agency and adult.created_by == worker
    # The blind index finds the person by name and document, as for a person registered by hand.
    visible = Case.objects.all()
    assert [case.pk for case in blind_index.search(visible, "quillonah vexbridge").cases] == [adult.pk]
    assert [case.pk for case in blind_index.search(visible, "ZZ9PLURALZ").cases] == [adult.pk]
    # The engine screened the file's facts; the other organisation's status decided nothing.
    screening = Screening.objects.get(case=adult)
    assert screening.situation == {
        "source": "HTCDS import",
        "purposes": ["sexual_exploitation"],
        "person": {"age": 30},
        "means": ["threat", "deception"],
        "actions": ["recruitment"],
    }
    assert adult.stage == "screening" and adult.identified_on is None and adult.reasonable_grounds_on is None
    child = next(case for case in cases if case.person.sex == "male")
    assert child.treated_as_child
    unscreened = cases[-1]
    assert unscreened.stage == "referred" and not unscreened.screenings.exists()
    assert unscreened.person.sex == "not_known" and unscreened.person.preferred_language == "other"
    # The coordinator's list names the cases (by reference) whose status another organisation gave.
    assert adult.reference in out and child.reference in out and unscreened.reference not in out
    # One entry for the import, with counts and no names; each case has its own creation entry.
    (entry,) = AuditEvent.objects.filter(action="htcds.import")
    assert entry.target == "3 cases from an HTCDS file, 2 screened from its facts"
    assert entry.fields == "ActualVictimOfTrafficking=1, PossibleVictimOfTrafficking=1"
    assert AuditEvent.objects.filter(action="case.create").count() == 3
    for value in ("Quillonah", "Vexbridge", "ZZ9PLURALZ", "712 345"):
        for row in AuditEvent.objects.values_list("target", "fields", "reason"):
            assert value not in " ".join(row)


def test_identity_is_not_stored_in_clear(users: dict[str, Any], tmp_path: Path) -> None:
    run(write(tmp_path, clean_rows()))
    with connection.cursor() as cursor:
        for table in ("casework_person", "casework_case", "casework_screening", "casework_auditevent"):
            cursor.execute(f"SELECT * FROM {table}")  # fixed table names
            dump = repr(cursor.fetchall())
            for value in ("Quillonah", "Vexbridge", "ZZ9PLURALZ", "40712345678"):
                assert value not in dump, (table, value)


def test_one_bad_row_and_nothing_is_stored_and_every_bad_row_is_listed(users: dict[str, Any], tmp_path: Path) -> None:
    rows = clean_rows()
    rows.insert(1, f"{day(3)},Amarel,Demoski,,Female,ROU,0712,,,,,,,,")  # line 3
    rows.append(f"{day(5)},Belina,Testaro,,Feminine,,,,,Slavery,,,Victim,,")  # line 6
    rows.append(f"{day(-5)},Corvia,Testaro,,Feminine,,,,,,,,,,")  # line 7: found by the application's checks
    message = failure(write(tmp_path, rows))
    assert message.startswith("nothing was imported.")
    assert f"{tmp_path / 'people.csv'}: 5 problems on 3 lines" in message
    assert "line 3, prs_Gender: 'Female' is not a value of prs_Gender" in message
    assert "line 3, prs_MobilePhone: not a phone number in E.164 form" in message
    assert "line 6, vic_TypeOfExploitation: 'Slavery' is not a value" in message
    assert "line 6, vic_TraffickingStatus: 'Victim' is not a value" in message
    assert "line 7, cas_IncomingReferralDate: " in message and "is in the future" in message
    assert message.index("line 6") < message.index("line 7")
    assert "0712" not in message  # identity values are not repeated
    assert "line 2" not in message and "line 4" not in message


def test_what_the_application_needs_is_checked_for_every_row(users: dict[str, Any], tmp_path: Path) -> None:
    rows = [
        f"{day(-3)},Amarel,Demoski,,Feminine,,,,,,,,,,",  # line 2: referral in the future
        f"{day(30)},Belina,Testaro,{day(10)},Feminine,,,,,,,,,,",  # line 3: born after the referral
        ",Corvia,Sampleton,,Feminine,,,,,,,,,,",  # line 4: no referral date
        f"{day(3)},{'Dalen ' * 40},Mockwell,,Masculine,,,,,,,,,,",  # line 5: too long for the application
    ]
    message = failure(write(tmp_path, rows))
    assert "line 2, cas_IncomingReferralDate: " in message and "is in the future" in message
    assert "line 3, prs_Birthdate: the birth date is after the referral date" in message
    assert "line 4, cas_IncomingReferralDate: required, and empty" in message
    assert (
        "line 5, prs_FirstName/prs_MiddleName: too long for the application's given names (at most 200 characters)"
        in message
    )


def test_a_failure_while_writing_leaves_nothing_behind(
    users: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = workflow.screen
    calls = []

    def screen_then_fail(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the disk is full (simulated)")
        return original(*args, **kwargs)

    monkeypatch.setattr(workflow, "screen", screen_then_fail)
    before = (Case.objects.count(), Person.objects.count(), AuditEvent.objects.count())
    with pytest.raises(RuntimeError):
        run(write(tmp_path, clean_rows()))
    assert (Case.objects.count(), Person.objects.count(), AuditEvent.objects.count()) == before


def test_a_dry_run_checks_and_stores_nothing(users: dict[str, Any], tmp_path: Path) -> None:
    before = (Case.objects.count(), AuditEvent.objects.count())
    out = run(write(tmp_path, clean_rows()), "--dry-run")
    assert "3 cases would be opened; 2 of them screened from the file's facts." in out
    assert "Dry run: nothing was stored." in out
    assert (Case.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            HEADER + "\n" + f'{day(1)},=HYPERLINK("http://x"),Demo,,,,,,,,,,,,\n',
            "line 2, prs_FirstName: starts with '='",
        ),
        (HEADER + "\n" + f"{day(1)},Amarel,Demo,,,,,,,,,,,,{'x' * 200_000}\n", "line 2: a cell is longer than"),
        (HEADER.replace(",", ";") + "\n" + f"{day(1)};Amarel\n", "the fields are separated by ';', not by commas"),
        (f"{day(1)},Amarel,Demo,,,,,,,,,,,,\n", "no header row"),
        ("", "the file is empty"),
    ],
)
def test_hostile_files_are_refused_clearly(users: dict[str, Any], tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "hostile.csv"
    path.write_text(content, encoding="utf-8")
    assert expected in failure(path)


def test_a_file_that_is_not_utf8_is_refused_with_the_line(users: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "\n").encode() + f"{day(1)},Am\xe9rel,Demo,,,,,,,,,,,,\n".encode("latin-1"))
    assert "line 2: not UTF-8 text (byte 0xe9 at column 14)" in failure(path)


def test_the_agency_and_user_are_checked(users: dict[str, Any], tmp_path: Path) -> None:
    path = write(tmp_path, clean_rows())
    assert "no agency named 'Nowhere'" in failure(path, agency="Nowhere")
    assert "no active user 'ghost'" in failure(path, user="ghost")
    assert "works at Fictional City Police, not at Fictional Shelter" in failure(path, user="first_responder")
    assert "may not register and screen cases" in failure(path, user="legal_adviser")
    assert "cannot be read" in failure(tmp_path / "absent.csv")


def test_the_progress_bar_goes_to_standard_error_when_asked(
    users: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = io.StringIO()
    call_command(
        "import_htcds",
        str(write(tmp_path, clean_rows())),
        "--agency",
        "Fictional Shelter",
        "--user",
        "case_worker",
        "--progress",
        stdout=out,
    )
    assert "cases" in capsys.readouterr().err
    assert Case.objects.count() == 3
