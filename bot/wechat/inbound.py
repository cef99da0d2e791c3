"""What to do with each kind of WeChat message or event: ask the assistant, answer at once, or
send nothing."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from wechatpy.messages import BaseMessage

from bot.regions import display_name, normalize_region
from bot import replies
from bot.settings import get_settings

WELCOME = (
    "您好，欢迎关注！我是社会救助政策助手（自动回复），可以帮您：\n"
    "· 政策咨询：低保、特困供养、临时救助等的标准、条件和怎么办，回答注明文件出处；\n"
    "· 资格自测：回答几个简单问题，初步看看能申请哪些救助；\n"
    "· 在线申请：在这里登记，再到乡镇（街道）窗口办理；\n"
    "· 申请进度：凭受理编号和手机号后四位查询；\n"
    "· 人工服务：回复“转人工”，由工作人员回复您。\n"
    "直接发文字提问就行，也可以点下方菜单。"
)
TEXT_ONLY = "抱歉，我暂时只能看懂文字。请用文字描述您的问题，例如“低保怎么申请”。"
VOICE_NOT_RECOGNISED = "抱歉，这段语音我没有听清。请再说一遍，或者直接打字告诉我您的问题。"
LOCATION_NOT_RECOGNISED = "收到您的位置，但没能认出所在的市县。请直接告诉我您所在的市或县，例如“运城市盐湖区”。"

# Custom menu keys (data/wechat/menu.json) → the message the assistant gets. A leading "/" is
# Rasa's way to name an intent directly, without reading the text.
MENU_MESSAGES = {
    "POLICY": "/ask_capabilities",
    "SCREENING": "/start_screening",
    "APPLY": "/apply",
    "STATUS": "/ask_status",
    "HUMAN": "/request_human",
}


@dataclass(frozen=True)
class AskAssistant:
    text: str


@dataclass(frozen=True)
class Answer:
    text: str


Action = Union[AskAssistant, Answer, None]


def resident_text(text: str) -> str:
    """What a resident typed, never read as an intent name ("/request_human{…}" stays text)."""
    return (text or "").strip().lstrip("/／").strip()


def _text(text: Optional[str]) -> Action:
    text = resident_text(text or "")
    return AskAssistant(text) if text else Answer(replies.text("common.input_issue.empty"))


def _location(label: Optional[str]) -> Action:
    region = normalize_region(label or "")
    if region is None:
        return Answer(LOCATION_NOT_RECOGNISED)
    return AskAssistant(f"我在{display_name(region)}")


def _event(message: BaseMessage) -> Action:
    event = str(getattr(message, "event", "") or "").lower()
    if event.startswith("subscribe"):
        return Answer(WELCOME)
    if event == "click":
        intent = MENU_MESSAGES.get(str(getattr(message, "key", "") or ""))
        return AskAssistant(intent) if intent else Answer(WELCOME)
    return None


def _raw_type(message: BaseMessage) -> str:
    """MsgType as sent (wechatpy calls every type it does not know "unknown", events included)."""
    raw = message._data.get("MsgType")  # noqa: SLF001 - wechatpy keeps the parsed fields there
    return raw.lower() if isinstance(raw, str) else ""


def route(message: BaseMessage) -> Action:
    """What the assistant should do with the message (None: nothing, answer "success").

    Events other than subscribing and menu clicks (unsubscribe, menu links, location reports,
    delivery reports) need no answer. A text longer than MAX_CHANNEL_CHARS is answered here and
    never reaches the assistant (nor its tracker store).
    """
    action = _route(message)
    limit = get_settings().max_channel_chars
    if isinstance(action, AskAssistant) and len(action.text) > limit:
        return Answer(replies.text("security.too_long", limit=limit))
    return action


def _route(message: BaseMessage) -> Action:
    kind = _raw_type(message)
    if kind == "text":
        return _text(getattr(message, "content", None))
    if kind == "voice":
        recognition = resident_text(str(getattr(message, "recognition", None) or ""))
        return AskAssistant(recognition) if recognition else Answer(VOICE_NOT_RECOGNISED)
    if kind == "location":
        return _location(getattr(message, "label", None))
    if kind == "event":
        return _event(message)
    return Answer(TEXT_ONLY)  # image, voice-less video, file, link, mini-program page, unknown
