"""Fixed Chinese replies shared by the actions and the channels."""
from __future__ import annotations

INPUT_ISSUE_REPLIES = {
    "empty": "您好像没有输入内容。请直接输入您想咨询的问题，例如“低保标准是多少”。",
    "too_long": "您的消息太长了，我没法准确理解。请用一两句话说明您想咨询的问题，例如“我家四口人，月收入两千，能申请低保吗”。",
    "no_words": "我看不懂表情或符号哦。请用文字描述您想咨询的问题，例如“临时救助怎么申请”。",
    "no_chinese": "抱歉，目前我只能用中文交流。请用中文输入您的问题，例如“低保标准是多少”。",
}
NOT_UNDERSTOOD = (
    "抱歉，我没太明白您的意思。您可以换个说法，比如“低保怎么申请”“特困人员有什么条件”。"
    "如需人工帮助，请回复“转人工”，或拨打12345政务服务便民热线。"
)
ASSISTANT_UNAVAILABLE = "助手暂时无法响应，请稍后再试；急需帮助请拨打12345政务服务便民热线。"
