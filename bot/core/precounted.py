"""Values the dashboard reads instead of computing them for every status change of its range
(issue 15: a year's figures counted afresh after a change took ~1 s per page).

On each status change:
- `day`: the local day (bot.core.sqldays.local_day) of the change;
- `since_registered`: days from the application's registration to the change;
- `district`: the application's current 乡镇（街道）;
- `accepted_after`: days from the application's registration to its first 受理 (or NULL);
- `first_accept`: whether it is the application's first 受理 (the earliest change to 已受理).
On each application: `first_accepted_at` (its first 受理) and `accepted_after`.

So a range's 受理 and 办结 are read from one index of status_changes alone, without visiting each
application's row (whose screening snapshot can run over several pages).

Database triggers keep them, so every writer is covered: the registry's ORM code, a plain
statement, a bulk import or a migration. Each value is the same SQL expression the direct count
uses (sqldays.local_day / days_between), computed when the row is written instead of when it is
read, so the figures are equal to a direct count to the last bit
(tests/intake/test_dashboard_versions.py compares them on random registries).

A later migration that rebuilds `applications` or `status_changes` on SQLite (batch mode copies
the table and drops its triggers) must call `create_triggers` again.
"""
from __future__ import annotations

from sqlalchemy.engine import Connection

from bot.core.models import ACCEPTED
from bot.core.sqldays import UTC_OFFSET_HOURS

# ---- SQLite ----

_SQLITE_DAY = f"CAST(julianday({{at}}, '{UTC_OFFSET_HOURS:+d} hours') - 2440587.5 AS INTEGER)"
_SQLITE_FIRST = ("(SELECT min(s.created_at) FROM status_changes s "
                 f"WHERE s.application_id = applications.id AND s.to_status = '{ACCEPTED}')")
# The application's first 受理 and the days to it.
_SQLITE_SET_FIRST = (f"UPDATE applications SET first_accepted_at = {_SQLITE_FIRST}, "
                     f"accepted_after = (julianday({_SQLITE_FIRST}) - julianday(applications.created_at)) "
                     "WHERE id = {app}")
# What every change of the application copies from it.
_SQLITE_COPY = ("UPDATE status_changes SET "
                "district = (SELECT a.district FROM applications a WHERE a.id = {app}), "
                "accepted_after = (SELECT a.accepted_after FROM applications a WHERE a.id = {app}), "
                f"first_accept = (to_status = '{ACCEPTED}' AND created_at IS "
                "(SELECT a.first_accepted_at FROM applications a WHERE a.id = {app})) "
                "WHERE application_id = {app}")
_SQLITE_OWN = ("UPDATE status_changes SET day = " + _SQLITE_DAY.format(at="NEW.created_at") + ", "
               "since_registered = (SELECT (julianday(NEW.created_at) - julianday(a.created_at)) "
               "FROM applications a WHERE a.id = NEW.application_id) WHERE id = NEW.id")

SQLITE_TRIGGERS = {
    "status_changes_precount_insert": f"""
        CREATE TRIGGER status_changes_precount_insert AFTER INSERT ON status_changes BEGIN
            {_SQLITE_OWN};
            {_SQLITE_SET_FIRST.format(app="NEW.application_id")} AND NEW.to_status = '{ACCEPTED}';
            {_SQLITE_COPY.format(app="NEW.application_id")} AND (id = NEW.id OR NEW.to_status = '{ACCEPTED}');
        END""",
    "status_changes_precount_update": f"""
        CREATE TRIGGER status_changes_precount_update
        AFTER UPDATE OF created_at, to_status, application_id ON status_changes BEGIN
            {_SQLITE_OWN};
            {_SQLITE_SET_FIRST.format(app="OLD.application_id")};
            {_SQLITE_SET_FIRST.format(app="NEW.application_id")};
            {_SQLITE_COPY.format(app="OLD.application_id")};
            {_SQLITE_COPY.format(app="NEW.application_id")};
        END""",
    "status_changes_precount_delete": f"""
        CREATE TRIGGER status_changes_precount_delete AFTER DELETE ON status_changes
        WHEN OLD.to_status = '{ACCEPTED}' BEGIN
            {_SQLITE_SET_FIRST.format(app="OLD.application_id")};
            {_SQLITE_COPY.format(app="OLD.application_id")};
        END""",
    "applications_precount_registered": f"""
        CREATE TRIGGER applications_precount_registered AFTER UPDATE OF created_at, district ON applications BEGIN
            UPDATE status_changes SET since_registered = (julianday(created_at) - julianday(NEW.created_at))
                WHERE application_id = NEW.id;
            UPDATE applications SET accepted_after = (julianday(first_accepted_at) - julianday(NEW.created_at))
                WHERE id = NEW.id;
            {_SQLITE_COPY.format(app="NEW.id")};
        END""",
}

# ---- PostgreSQL ----

_PG_DAYS = "(EXTRACT(EPOCH FROM ({later} - {first})) / 86400.0)"
_PG_SET_FIRST = ("UPDATE applications a SET first_accepted_at = f.at, accepted_after = "
                 + _PG_DAYS.format(later="f.at", first="a.created_at")
                 + f" FROM (SELECT min(created_at) AS at FROM status_changes WHERE application_id = {{app}} "
                   f"AND to_status = '{ACCEPTED}') f WHERE a.id = {{app}};")
_PG_COPY = ("UPDATE status_changes s SET district = a.district, accepted_after = a.accepted_after, "
            f"first_accept = COALESCE(s.to_status = '{ACCEPTED}' AND s.created_at = a.first_accepted_at, false) "
            "FROM applications a WHERE a.id = {app} AND s.application_id = {app};")

POSTGRESQL = [
    f"""CREATE FUNCTION status_change_precount() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.day := CAST(NEW.created_at + INTERVAL '{UTC_OFFSET_HOURS} hours' AS DATE) - DATE '1970-01-01';
        SELECT {_PG_DAYS.format(later="NEW.created_at", first="a.created_at")}, a.district, a.accepted_after
          INTO NEW.since_registered, NEW.district, NEW.accepted_after
          FROM applications a WHERE a.id = NEW.application_id;
        NEW.first_accept := false;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER status_changes_precount BEFORE INSERT OR UPDATE OF created_at, application_id
       ON status_changes FOR EACH ROW EXECUTE FUNCTION status_change_precount()""",
    f"""CREATE FUNCTION status_change_first_accept() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            {_PG_SET_FIRST.format(app="OLD.application_id")}
            {_PG_COPY.format(app="OLD.application_id")}
        END IF;
        IF TG_OP = 'UPDATE' OR (TG_OP = 'INSERT' AND NEW.to_status = '{ACCEPTED}') THEN
            {_PG_SET_FIRST.format(app="NEW.application_id")}
            {_PG_COPY.format(app="NEW.application_id")}
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER status_changes_first_accept
       AFTER INSERT OR UPDATE OF created_at, to_status, application_id OR DELETE
       ON status_changes FOR EACH ROW EXECUTE FUNCTION status_change_first_accept()""",
    f"""CREATE FUNCTION application_registered_precount() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE status_changes SET since_registered = {_PG_DAYS.format(later="created_at", first="NEW.created_at")}
            WHERE application_id = NEW.id;
        UPDATE applications SET accepted_after = {_PG_DAYS.format(later="first_accepted_at", first="NEW.created_at")}
            WHERE id = NEW.id;
        {_PG_COPY.format(app="NEW.id")}
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER applications_precount_registered AFTER UPDATE OF created_at, district ON applications
       FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.district IS DISTINCT FROM NEW.district)
       EXECUTE FUNCTION application_registered_precount()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS applications_precount_registered ON applications",
    "DROP TRIGGER IF EXISTS status_changes_first_accept ON status_changes",
    "DROP TRIGGER IF EXISTS status_changes_precount ON status_changes",
    "DROP FUNCTION IF EXISTS application_registered_precount()",
    "DROP FUNCTION IF EXISTS status_change_first_accept()",
    "DROP FUNCTION IF EXISTS status_change_precount()",
]


def create_triggers(connection: Connection) -> None:
    for statement in (SQLITE_TRIGGERS.values() if connection.dialect.name == "sqlite" else POSTGRESQL):
        connection.exec_driver_sql(statement)


def drop_triggers(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for statement in POSTGRESQL_DROP:
            connection.exec_driver_sql(statement)


def backfill(connection: Connection) -> None:
    """Every row's values, as the triggers would have written them."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(
            "UPDATE status_changes SET day = " + _SQLITE_DAY.format(at="created_at") + ", "
            "since_registered = (SELECT (julianday(status_changes.created_at) - julianday(a.created_at)) "
            "FROM applications a WHERE a.id = status_changes.application_id)")
        connection.exec_driver_sql(_SQLITE_SET_FIRST.format(app="applications.id"))
        connection.exec_driver_sql(_SQLITE_COPY.format(app="status_changes.application_id"))
        return
    connection.exec_driver_sql(
        f"UPDATE status_changes s SET day = CAST(s.created_at + INTERVAL '{UTC_OFFSET_HOURS} hours' AS DATE) "
        "- DATE '1970-01-01', since_registered = " + _PG_DAYS.format(later="s.created_at", first="a.created_at")
        + " FROM applications a WHERE a.id = s.application_id")
    connection.exec_driver_sql(
        "UPDATE applications a SET first_accepted_at = f.at, accepted_after = "
        + _PG_DAYS.format(later="f.at", first="a.created_at")
        + f" FROM (SELECT application_id, min(created_at) AS at FROM status_changes WHERE to_status = '{ACCEPTED}' "
          "GROUP BY application_id) f WHERE a.id = f.application_id")
    connection.exec_driver_sql(_PG_COPY.format(app="s.application_id").replace(
        "WHERE a.id = s.application_id AND s.application_id = s.application_id;", "WHERE a.id = s.application_id"))
