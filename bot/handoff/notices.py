"""What a resident is told when a person takes over: who will answer, and when."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from bot.core.calendar import WorkCalendar, get_calendar, local_now

WEEKDAYS = "一二三四五六日"
ANSWER_WITHIN_MINUTES = 30
EMERGENCY = "如遇紧急困难，请拨打12345政务服务便民热线；遇到危险请拨打110。"


def _who(district: Optional[str]) -> str:
    if district:
        return f"{district}社会救助窗口的工作人员"
    return "社会救助经办工作人员"


def _when(moment: dt.datetime, now: dt.datetime) -> str:
    clock = moment.strftime("%H:%M").lstrip("0")
    if moment.date() == now.date():
        return f"今天{clock}"
    if moment.date() == now.date() + dt.timedelta(days=1):
        return f"明天{clock}"
    return f"{moment.month}月{moment.day}日（周{WEEKDAYS[moment.weekday()]}）{clock}"


def handoff_notice(
    ticket_id: int, district: Optional[str], now: Optional[dt.datetime] = None,
    calendar: Optional[WorkCalendar] = None,
) -> str:
    now = now or local_now()
    calendar = calendar or get_calendar()
    head = f"已为您转接人工服务（服务单号 R{ticket_id}），由{_who(district)}回复您。"
    if calendar.in_office_hours(now):
        timing = f"现在是工作时间，一般会在{ANSWER_WITHIN_MINUTES}分钟内回复，请留意这里的消息。"
    else:
        opening = calendar.next_opening(now)
        timing = (
            f"现在是非工作时间，工作人员将在{_when(opening, now)}上班后尽快回复您。"
            "您可以先把情况写下来发给我，工作人员上班后就能看到。"
        )
    return f"{head}{timing}{EMERGENCY}"


def already_waiting_notice(ticket_id: int) -> str:
    return f"您的人工服务（服务单号 R{ticket_id}）已在排队，工作人员会尽快回复，您有什么情况可以直接发给我。"
