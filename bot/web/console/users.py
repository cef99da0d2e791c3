"""User administration (admins only)."""
from __future__ import annotations

from functools import partial

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.intake import staff
from bot.web.console.base import PREFIX, bp, db, perform, render
from bot.web.console.security import staff_only


@bp.get("/admin/users")
@staff_only("admin")
async def users_page(request: Request) -> HTTPResponse:
    users = await db(staff.list_users)
    return render(request, "users.html", title="账户管理", active="users", users=users,
                  roles=staff.ROLE_LABELS, min_password=staff.MIN_PASSWORD_CHARS)


@bp.post("/admin/users")
@staff_only("admin")
async def user_create(request: Request) -> HTTPResponse:
    form = request.form
    act = partial(staff.create_user, form.get("username", ""), form.get("display_name", ""),
                  form.get("password", ""), form.get("role", ""), form.get("district"),
                  actor=request.ctx.user)
    return await perform(request, f"{PREFIX}/admin/users", act,
                         f"已创建账户 {form.get('username', '').strip()}。")


@bp.post("/admin/users/<user_id:int>/active")
@staff_only("admin")
async def user_active(request: Request, user_id: int) -> HTTPResponse:
    active = request.form.get("active") == "1"
    act = partial(staff.set_active, user_id, active, actor=request.ctx.user)
    return await perform(request, f"{PREFIX}/admin/users", act,
                         "账户已启用。" if active else "账户已停用，其登录已失效。")


@bp.post("/admin/users/<user_id:int>/password")
@staff_only("admin")
async def user_password(request: Request, user_id: int) -> HTTPResponse:
    act = partial(staff.reset_password, user_id, request.form.get("password", ""), actor=request.ctx.user)
    return await perform(request, f"{PREFIX}/admin/users", act, "密码已重置，该账户原有登录已失效。")
