"""The Official Account's custom menu (data/wechat/menu.json) and the command that publishes it.

    python -m bot.wechat.menu check      # validates the file against WeChat's limits
    python -m bot.wechat.menu publish    # publishes it (WECHAT_APPID, WECHAT_APPSECRET)

Every "click" button's key must be one the channel understands (bot.wechat.inbound.MENU_MESSAGES).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional

import requests
from wechatpy.exceptions import WeChatClientException

from bot.core.privacy import install_log_redaction
from bot.core.migrate import upgrade
from bot.settings import get_settings
from bot.wechat.api import WeChatApi
from bot.wechat.config import ConfigError, WeChatConfig
from bot.wechat.inbound import MENU_MESSAGES

MENU_FILE = Path("wechat") / "menu.json"
MAX_BUTTONS, MAX_SUB_BUTTONS = 3, 5
MAX_NAME_BYTES, MAX_SUB_NAME_BYTES = 16, 60


class MenuError(ValueError):
    """The menu file breaks one of WeChat's rules or names an unknown key."""


def _check_button(button: Any, where: str, max_name_bytes: int) -> None:
    if not isinstance(button, dict):
        raise MenuError(f"{where}：每个按钮须是一个对象")
    name = button.get("name")
    if not isinstance(name, str) or not name or len(name.encode()) > max_name_bytes:
        raise MenuError(f"{where}：名称须为 1 到 {max_name_bytes} 个字节（一个汉字 3 个字节）")
    if button.get("type") == "click" and button.get("key") not in MENU_MESSAGES:
        raise MenuError(f"{where}（{name}）：key 须为 {'、'.join(MENU_MESSAGES)} 之一")
    if button.get("type") == "view" and not str(button.get("url", "")).startswith(("http://", "https://")):
        raise MenuError(f"{where}（{name}）：view 按钮须有 http(s) 网址 url")


def check_menu(menu: Any) -> dict[str, Any]:
    buttons = menu.get("button") if isinstance(menu, dict) else None
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        raise MenuError(f"菜单的 button 下须有 1 到 {MAX_BUTTONS} 个按钮")
    for i, button in enumerate(buttons, start=1):
        _check_button(button, f"按钮 {i}", MAX_NAME_BYTES)
        subs = button.get("sub_button")
        if subs is None:
            if button.get("type") not in ("click", "view"):
                raise MenuError(f"按钮 {i}：type 须为 click 或 view，或者带 sub_button 子菜单")
            continue
        if not isinstance(subs, list) or not 1 <= len(subs) <= MAX_SUB_BUTTONS:
            raise MenuError(f"按钮 {i}：sub_button 下须有 1 到 {MAX_SUB_BUTTONS} 个按钮")
        for j, sub in enumerate(subs, start=1):
            _check_button(sub, f"按钮 {i}.{j}", MAX_SUB_NAME_BYTES)
            if sub.get("type") not in ("click", "view"):
                raise MenuError(f"按钮 {i}.{j}：type 须为 click 或 view")
    return menu


def load_menu(path: Optional[Path] = None) -> dict[str, Any]:
    path = path or get_settings().data_dir / MENU_FILE
    try:
        menu = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise MenuError(f"无法读取 {path}：{error}") from None
    return check_menu(menu)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="The WeChat custom menu (data/wechat/menu.json).")
    parser.add_argument("command", choices=["check", "publish"])
    parser.add_argument("--file", type=Path, help="another menu file")
    args = parser.parse_args(argv)
    install_log_redaction()
    try:
        menu = load_menu(args.file)
        if args.command == "check":
            print("菜单文件符合微信的要求。")
            return 0
        config = WeChatConfig.load()
        if not config.sends:
            raise ConfigError("发布菜单需要设置 WECHAT_APPID 和 WECHAT_APPSECRET")
        upgrade()  # the access token is kept in the intake database (unless REDIS_URL is set)
        WeChatApi(config).publish_menu(menu)
    except (MenuError, ConfigError) as error:
        print(f"错误：{error}", file=sys.stderr)
        return 2
    except WeChatClientException as error:
        print(f"微信接口拒绝了菜单：errcode {error.errcode} {error.errmsg}", file=sys.stderr)
        return 1
    except requests.RequestException as error:
        print(f"无法连接微信接口：{type(error).__name__}", file=sys.stderr)
        return 1
    print("自定义菜单已发布（微信客户端可能要几分钟后才显示新菜单）。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
