"""The one error a use case raises for a request it cannot carry out, and its HTTP answer.

Commands and queries raise `CommandError(status, reason, problems)`; the shared web shell
(shared/web.py) installs `install(app)`, so routes need no translation of their own. The body
is FastAPI's usual `{"detail": reason}`, or `{"detail": {"reason", "problems"}}` when there
are problems to list: sentences, or objects for field-level reasons (the patient mailbox
passes forms' `{"path", "message"}` per answer). Reasons and problems are written for the
caller: never put a value that came in with the request (a body, a personnummer) in them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


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


def install(app: FastAPI) -> None:
    app.add_exception_handler(CommandError, _answer)
