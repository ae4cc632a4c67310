"""The one error a use case raises for a request it cannot carry out, and its HTTP answer.

Commands and queries raise `CommandError(status, reason, problems)`; the shared web shell
(shared/web.py) installs `install(app)`, so routes need no translation of their own. The body
is FastAPI's usual `{"detail": reason}`, or `{"detail": {"reason", "problems"}}` when there
are problems to list: sentences, or objects for field-level reasons (the patient mailbox
passes forms' `{"path", "message"}` per answer). Reasons and problems are written for the
caller: never put a value that came in with the request (a body, a personnummer) in them.

A database that cannot be reached just now (a restart, a failover: SQLAlchemy's
OperationalError or InterfaceError) is answered 503 with Retry-After, not 500: the request
did nothing and may be sent again. The fault suite (docs/faults.md) found these as 500s while
a PostgreSQL server restarted."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError

log = logging.getLogger(__name__)
DB_RETRY_AFTER_S = 2


class CommandError(Exception):
    """A request that cannot be carried out; `status` is the HTTP status it maps to."""

    def __init__(self, status: int, reason: str,
                 problems: Sequence[str | Mapping[str, Any]] | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason
        self.problems = list(problems or [])


async def _answer(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CommandError)
    detail: Any = ({"reason": exc.reason, "problems": exc.problems} if exc.problems
                   else exc.reason)
    return JSONResponse({"detail": detail}, exc.status)


async def _database_unavailable(_: Request, exc: Exception) -> JSONResponse:
    # The class only: a driver's message can quote the statement's parameters.
    log.warning("database unavailable", extra={"error": type(exc).__name__})
    return JSONResponse({"detail": "the database is not reachable just now; try again"}, 503,
                        headers={"Retry-After": str(DB_RETRY_AFTER_S)})


def install(app: FastAPI) -> None:
    app.add_exception_handler(CommandError, _answer)
    for unavailable in (OperationalError, InterfaceError):
        app.add_exception_handler(unavailable, _database_unavailable)
