"""Files in the web UI: uploading the files chosen on a reply or answer form (each checked
by the mailbox on its content; a refused one is named in the error next to the file field,
and nothing of the message is sent), and downloading a conversation's files. A patient's
download is a GET (it changes nothing); a member of staff's is a POST the person clicks,
since each download is an audited access (like opening the message)."""

from __future__ import annotations

from fastapi import Request, Response

from services.gateway.ui.kit import ServiceRefused, _, api

FILE_FIELD = "files"
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
_PASSED = ("content-type", "content-disposition", "x-content-type-options", "cache-control")


async def upload_all(request: Request, service: str, path: str,
                     files: list[tuple[str, bytes]]) -> tuple[list[str], list[dict]]:
    """The attachment ids of the uploaded files, or the errors (one per refused file)."""
    ids, errors = [], []
    limit_mb = request.app.state.settings.max_upload_bytes // (1024 * 1024)
    for name, data in files:
        try:
            answer = await api(request, service, "POST", path, params={"filename": name[:500]},
                               content=data)
            ids.append(answer["attachment_id"])
        except ServiceRefused as exc:
            if exc.status not in (413, 422):
                raise
            errors.append({"anchor": "files", "message": _(
                "%(name)s could not be attached: only PDF, JPEG and PNG files of at most "
                "%(size)s MB can be sent.") % {"name": name[:200], "size": limit_mb}})
    return ids, errors


def too_many(request: Request, files: list) -> list[dict]:
    most = request.app.state.settings.max_files_per_message
    if len(files) <= most:
        return []
    return [{"anchor": "files", "message": _("Attach at most %(count)s files.") % {
        "count": most}}]


async def download(request: Request, service: str, method: str, path: str) -> Response:
    upstream = await api(request, service, method, path, raw=True)
    return Response(content=upstream.content, status_code=200,
                    headers={k: upstream.headers[k] for k in _PASSED if k in upstream.headers})
