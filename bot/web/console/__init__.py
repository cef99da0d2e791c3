"""The staff console (一门受理工作台) under /console, one module per group of pages:

- base: the blueprint, templates, rendering and shared helpers;
- security: sessions, roles, CSRF, login and logout (the hotline panel uses them too);
- cases: queues, export, an application's page and the workflow steps;
- tickets: hand-offs, internal notes and links to applications;
- live: updates pushed by Server-Sent Events (one database watcher per worker);
- dashboard, audit, canned, users: the supervisors' and admins' pages;
- standards: local standards (maker-checker) and notices uploaded by staff (issue 13).
"""
from __future__ import annotations

from sanic import Sanic

from bot.web.console import (  # noqa: F401  (routes)
    audit, canned, cases, dashboard, notices, security, standards, tickets, users,
)
from bot.web.console.base import bp
from bot.web.console.live import register_live


def register_console(app: Sanic) -> None:
    register_live(app)
    app.blueprint(bp)
