"""Waits until every local service answers (the Rasa server once it has warmed up, so that the
first message is answered as fast as the next), prints the URLs, then stays up (for honcho)."""
from __future__ import annotations

import signal
import sys
import time
import urllib.error
import urllib.request

from bot.settings import get_settings

TIMEOUT_SECONDS = 300


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status < 500
    except (urllib.error.URLError, OSError):
        return False


def main() -> None:
    settings = get_settings()
    web = f"http://{settings.web_host}:{settings.web_port}"
    checks = {
        "Rasa 服务": f"{settings.rasa_url}/webhooks/rest/",  # 200 once warmed up (bot.channels.warmup)
        "动作服务": "http://127.0.0.1:5055/health",
        "网页": f"{web}/healthz",
    }
    deadline = time.monotonic() + TIMEOUT_SECONDS
    waiting = dict(checks)
    while waiting and time.monotonic() < deadline:
        waiting = {name: url for name, url in waiting.items() if not answers(url)}
        time.sleep(1)
    if waiting:
        print(f"未能启动：{'、'.join(waiting)}（请查看上方日志）", flush=True)
        sys.exit(1)
    print(
        "\n一切就绪 / all services are up:\n"
        f"  聊天页面 chat page:      {web}/chat\n"
        f"  政策检索 API:            {web}/api/policy/search?q=低保标准&region=宁夏\n"
        f"  工作人员后台 console:    {web}/console  (首个管理员：.venv/bin/python -m bot.intake.cli create-admin)\n"
        f"  微信 WeChat webhook:     {settings.rasa_url}/webhooks/wechat/webhook\n"
        f"  Rasa REST channel:       {settings.rasa_url}/webhooks/rest/webhook  (只接受网页服务，带 RASA_TOKEN)\n"
        "  动作服务 action server:  http://127.0.0.1:5055/webhook  (只接受 Rasa，带 ACTION_SECRET)\n"
        "按 Ctrl-C 停止全部服务。\n",
        flush=True,
    )
    signal.pause()


if __name__ == "__main__":
    main()
