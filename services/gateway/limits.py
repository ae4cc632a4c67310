"""Request body limits: a body over `max_bytes` never reaches a handler. By its
Content-Length, or (without one) counted while it is read here; bodies are small, so the
allowed ones are held and replayed. A refused request is marked in its state, and the
gateway's middleware answers 413 with the reason (a page, or JSON for /api/).

Only the upload routes (`larger`: path pattern and cap) take more than the general cap: the
attachment uploads of the API front and of the UI's forms. Those bodies are still read
here in full before the handler runs, so what the handler sees is bounded by that cap."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def _nothing() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int,
                 larger: tuple[tuple[str, int], ...] = ()) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.larger = tuple((re.compile(pattern), cap) for pattern, cap in larger)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = next((cap for pattern, cap in self.larger if pattern.fullmatch(scope["path"])),
                   self.max_bytes)
        scope.setdefault("state", {})["body_cap"] = cap
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > cap):
            await self._refuse(scope, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > cap:
                await self._refuse(scope, send)
                return
            if not message.get("more_body", False):
                break
        body, replayed = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: disconnect notices, as usual
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        scope.setdefault("state", {})["body_too_large"] = True
        await self.app(scope, _nothing, send)


# Form fields and multipart framing around the files of one UI submission.
_FORM_ROOM = 64 * 1024


def upload_routes(settings) -> tuple[tuple[str, int], ...]:
    """The routes that take files, with their caps: one file per API upload; a UI form
    (a message, a reply or an answer) with its files; one Questionnaire file to import."""
    one = settings.max_upload_bytes + _FORM_ROOM
    many = settings.max_upload_bytes * settings.max_files_per_message + _FORM_ROOM
    return ((r"/api/patient/v1/attachments", one),
            (r"/api/careunit/v1/units/[^/]+/attachments", one),
            (r"/conversations/[^/]+/reply|/staff/messages/[^/]+/reply", many),
            (r"/write/[^/]+/[^/]+", many),
            (r"/designer/units/[^/]+/import", settings.max_import_bytes + _FORM_ROOM))
