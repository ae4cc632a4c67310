"""Answering a download: the bytes with their checked type, always as a file to save
(never rendered inline by the browser), under the name the uploader gave."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Response

from services.messaging.body import Content


def filename_in(content: Content, attachment_id: str) -> str:
    return next((a.filename for a in content.attachments if a.attachment_id == attachment_id),
                "attachment")


def file_response(media_type: str, data: bytes, filename: str) -> Response:
    return Response(content=data, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})
