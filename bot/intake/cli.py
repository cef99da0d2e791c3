"""Staff accounts from the command line; the first admin is created this way.

    python -m bot.intake.cli create-admin --username admin --name 张三
    python -m bot.intake.cli create-user --username li --name 李四 --role intake --district 甲镇
    python -m bot.intake.cli create-user --username wang --name 王五 --role supervisor --region 运城市
    python -m bot.intake.cli set-region --username wang --region 运城市
    python -m bot.intake.cli reset-password --username li

The password comes from the environment (ADMIN_PASSWORD for create-admin, STAFF_PASSWORD for the
others) or is asked for twice. The database (DATABASE_URL, or SQLite under VAR_DIR) is migrated
to the latest schema first.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from bot.core import migrate
from bot.intake import staff
from bot.core.privacy import InvalidField
from bot.core.models import ROLES


class PasswordMismatch(Exception):
    """The two typed passwords differ."""


def read_password(env_name: str) -> str:
    password = os.environ.get(env_name)
    if password:
        return password
    first = getpass.getpass("密码：")
    if getpass.getpass("再次输入密码：") != first:
        raise PasswordMismatch("两次输入的密码不一致。")
    return first


def create(args: argparse.Namespace, role: str, env_name: str) -> str:
    user = staff.create_user(args.username, args.name, read_password(env_name), role,
                             getattr(args, "district", None), region=getattr(args, "region", None))
    return f"已创建{staff.ROLE_LABELS[user.role]} {user.username}（{user.display_name}）。"


def reset(args: argparse.Namespace) -> str:
    user = staff.find_user(args.username)
    if user is None:
        raise InvalidField("username", f"用户名“{args.username}”不存在。")
    staff.reset_password(user.id, read_password("STAFF_PASSWORD"), actor=None)
    return f"已重置 {user.username} 的密码，原有登录已失效。"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m bot.intake.cli", description="工作人员账户管理")
    commands = root.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("create-admin", help="创建管理员（密码取自 ADMIN_PASSWORD 或提示输入）")
    user = commands.add_parser("create-user", help="创建工作人员（密码取自 STAFF_PASSWORD 或提示输入）")
    for sub in (admin, user):
        sub.add_argument("--username", required=True)
        sub.add_argument("--name", required=True, help="显示的姓名")
    user.add_argument("--role", required=True, choices=ROLES)
    user.add_argument("--district", help="所属乡镇（街道）；受理人员必填")
    for sub in (admin, user):
        sub.add_argument("--region", help="负责维护本地标准和通知的地区（主管、管理员），如 运城市；管理员不填则可维护全部地区")
    password = commands.add_parser("reset-password", help="重置密码（密码取自 STAFF_PASSWORD 或提示输入）")
    password.add_argument("--username", required=True)
    keeps = commands.add_parser("set-region", help="设置主管、管理员负责维护本地标准和通知的地区")
    keeps.add_argument("--username", required=True)
    keeps.add_argument("--region", default="", help="如 运城市；留空则取消（管理员取消后可维护全部地区）")
    return root


def run(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    migrate.upgrade()
    try:
        if args.command == "create-admin":
            message = create(args, "admin", "ADMIN_PASSWORD")
        elif args.command == "create-user":
            message = create(args, args.role, "STAFF_PASSWORD")
        elif args.command == "set-region":
            user = staff.set_region(args.username, args.region)
            message = f"{user.username} 负责的地区：{user.region or '（无）'}。"
        else:
            message = reset(args)
    except (InvalidField, PasswordMismatch) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(message)
    return 0


if __name__ == "__main__":
    sys.exit(run())
