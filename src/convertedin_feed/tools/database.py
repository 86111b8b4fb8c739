"""A database that cannot be reached, said in one line: what was tried, and how to fix it.

Commands wrap their work in :func:`reachable_database`: a failure to connect
becomes a ``CommandError`` (exit status 1, no traceback) naming the database's
engine, host, port, name and user (never its password) and the driver's reason.
An error from a query on a connection that works is not touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections


@contextmanager
def reachable_database(alias: str = DEFAULT_DB_ALIAS, *, hint: str = "") -> Iterator[None]:
    """Turn a failure to connect to ``alias`` into one line; ``hint`` says where it is set."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        connection = connections[alias]
        if connection.connection is not None:  # connected: a query failed, not the server
            raise
        raise CommandError(unreachable(alias, exc, hint)) from None


def unreachable(alias: str, exc: BaseException, hint: str = "") -> str:
    settings = connections[alias].settings_dict
    vendor = connections[alias].vendor
    if vendor == "sqlite":
        where = f"the SQLite file {settings.get('NAME')}"
    else:
        host = settings.get("HOST") or "localhost"
        port = f":{settings['PORT']}" if settings.get("PORT") else ""
        user = f" as {settings['USER']}" if settings.get("USER") else ""
        where = f"{vendor} database {settings.get('NAME')!r} at {host}{port}{user}"
    reason = " ".join(str(exc).split()) or type(exc).__name__
    fix = hint or f"is the server running, and is DATABASES[{alias!r}] right?"
    return f"Cannot connect to the {where}: {reason}. Check: {fix}"
