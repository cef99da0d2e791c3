"""What a resident is told when a person takes over: who will answer, and when (wording in
data/replies/service.yml, "service.handoff_notice.<key>")."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from bot import replies
from bot.core.calendar import WorkCalendar, get_calendar, local_now

ANSWER_WITHIN_MINUTES = 30


def _say(key: str, **values: Any) -> str:
    return replies.text(f"service.handoff_notice.{key}", **values)


def _who(district: Optional[str]) -> str:
    if district:
        return _say("who_district", district=district)
    return _say("who")


def _when(moment: dt.datetime, now: dt.datetime) -> str:
    clock = moment.strftime("%H:%M").lstrip("0")
    if moment.date() == now.date():
        return _say("today", clock=clock)
    if moment.date() == now.date() + dt.timedelta(days=1):
        return _say("tomorrow", clock=clock)
    weekday = _say("weekdays")[moment.weekday()]
    return _say("day", month=moment.month, day=moment.day, weekday=weekday, clock=clock)


def handoff_notice(
    ticket_id: int, district: Optional[str], now: Optional[dt.datetime] = None,
    calendar: Optional[WorkCalendar] = None,
) -> str:
    now = now or local_now()
    calendar = calendar or get_calendar()
    head = _say("head", ticket=ticket_id, who=_who(district))
    if calendar.in_office_hours(now):
        timing = _say("office_hours", minutes=ANSWER_WITHIN_MINUTES)
    else:
        timing = _say("after_hours", when=_when(calendar.next_opening(now), now))
    return f"{head}{timing}{_say('emergency')}"


def already_waiting_notice(ticket_id: int) -> str:
    return _say("already_waiting", ticket=ticket_id)
