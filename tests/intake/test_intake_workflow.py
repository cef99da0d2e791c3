"""The status workflow table, the requirements of each step and the resident's notices."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from bot.core.models import (
    ACCEPTED,
    ASSIGNED,
    CLOSED,
    REGISTERED,
    REJECTED,
    RETURNED,
    STATUSES,
    TRANSFERRED,
    Application,
    StatusChange,
)
from bot.intake.workflow import (
    ACTION_LABELS,
    ALLOWED,
    InvalidField,
    allowed_transitions,
    check_requirements,
    is_final,
    resident_notice,
)

EXPECTED = {
    (REGISTERED, ACCEPTED), (REGISTERED, RETURNED), (REGISTERED, REJECTED),
    (ACCEPTED, ASSIGNED), (ACCEPTED, TRANSFERRED), (ACCEPTED, RETURNED), (ACCEPTED, CLOSED),
    (ACCEPTED, REJECTED),
    (ASSIGNED, ASSIGNED), (ASSIGNED, TRANSFERRED), (ASSIGNED, RETURNED), (ASSIGNED, CLOSED),
    (TRANSFERRED, ACCEPTED), (TRANSFERRED, CLOSED),
    (RETURNED, ACCEPTED), (RETURNED, REJECTED), (RETURNED, CLOSED),
}


def test_allowed_table_is_the_agreed_one() -> None:
    assert set(ALLOWED) == set(STATUSES)
    assert {(a, b) for a, targets in ALLOWED.items() for b in targets} == EXPECTED


@pytest.mark.parametrize("pair", sorted(set(itertools.product(STATUSES, STATUSES)) - EXPECTED))
def test_every_other_pair_is_refused(pair: tuple[str, str]) -> None:
    assert pair[1] not in allowed_transitions(pair[0])


def test_final_states() -> None:
    assert is_final(CLOSED) and is_final(REJECTED)
    assert not any(is_final(status) for status in STATUSES if status not in (CLOSED, REJECTED))
    assert allowed_transitions("no such status") == ()


def test_every_target_has_a_button_label() -> None:
    targets = {b for _a, b in EXPECTED}
    assert set(ACTION_LABELS) == targets
    assert ACTION_LABELS[ACCEPTED] == "受理" and ACTION_LABELS[CLOSED] == "办结"


@pytest.mark.parametrize("to_status, field", [
    (ASSIGNED, "assignee_id"), (TRANSFERRED, "target"), (RETURNED, "note"), (REJECTED, "note"),
    (CLOSED, "decision"),
])
def test_requirements(to_status: str, field: str) -> None:
    with pytest.raises(InvalidField) as raised:
        check_requirements(to_status, note="   ")
    assert raised.value.field == field


def test_requirements_met() -> None:
    assert check_requirements(ACCEPTED) is None
    assert check_requirements(ASSIGNED, assignee_id=3) is None
    assert check_requirements(ASSIGNED, department="民政办") is None
    assert check_requirements(TRANSFERRED, target_district="城关镇", note=" 户籍在城关镇 ") == "户籍在城关镇"
    with pytest.raises(InvalidField) as raised:
        check_requirements(TRANSFERRED, target_district="城关镇")
    assert raised.value.field == "note" and "转办原因" in raised.value.message
    with pytest.raises(InvalidField):
        check_requirements(CLOSED, note="好" * 1001)


def notice(to_status: str, note: str | None = None, **fields: object) -> str:
    values: dict[str, object] = {"number": "SJ20251009-0001", "district": "解放路街道",
                                 "due_date": dt.date(2025, 10, 20), **fields}
    application = Application(**values)
    return resident_notice(application, StatusChange(to_status=to_status, note=note))


def test_resident_notices_name_the_number_and_the_step_without_personal_data() -> None:
    assert "已受理" in notice(ACCEPTED) and "2025年10月20日前" in notice(ACCEPTED)
    returned = notice(RETURNED, "户口簿复印件，联系人13800138000")
    assert "户口簿复印件" in returned and "13800138000" not in returned and "138****8000" in returned
    assert "原因：不在本辖区" in notice(REJECTED, "不在本辖区。")
    assert "转交城关镇" in notice(TRANSFERRED, "户籍在城关镇", district="城关镇")
    assert "转交民政局" in notice(TRANSFERRED, "需要民政局审核", department="民政局")
    assert "办理时限仍为2025年10月20日" in notice(TRANSFERRED, "户籍在城关镇", district="城关镇")
    assert "已办结：已发放" in notice(CLOSED, "已发放")
    for status in STATUSES:
        assert "SJ20251009-0001" in notice(status, "说明")
