"""What a file really is, decided by its content, never by its name: a PDF (pypdf parses
it), or a JPEG or PNG image (Pillow decodes it). Images are re-encoded from their pixels,
which drops every metadata block (EXIF with GPS position, camera, times; PNG text chunks);
the orientation EXIF recorded is applied to the pixels first, so the picture still stands
the right way up. Pure: bytes in, bytes out, or a Refused naming the file and the reason."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
ALLOWED = (PDF, JPEG, PNG)
MAX_PIXELS = 50_000_000  # a decompression bomb is refused before it is decoded
_NAME_MAX = 200
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


class Refused(Exception):
    """A file that is not taken, with the reason (it names the file)."""

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename, self.reason = filename, f"{filename}: {reason}"


@dataclass(frozen=True)
class Checked:
    filename: str
    media_type: str
    data: bytes


def clean_name(filename: str) -> str:
    """The last path segment, without control characters, bounded; never empty."""
    name = _UNSAFE.sub("_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:_NAME_MAX] or "file"


def sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def check(filename: str, data: bytes, *, max_bytes: int) -> Checked:
    name = clean_name(filename)
    if not data:
        raise Refused(name, "the file is empty")
    if len(data) > max_bytes:
        raise Refused(name, f"the file is larger than {max_bytes} bytes")
    media_type = sniff(data)
    if media_type is None:
        raise Refused(name, "the content is not a PDF, JPEG or PNG file, whatever its name "
                            "says; only those can be attached")
    if media_type == PDF:
        _check_pdf(name, data)
        return Checked(name, PDF, data)
    return Checked(name, media_type, _reencoded(name, data, media_type))


def _check_pdf(name: str, data: bytes) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pages = len(PdfReader(io.BytesIO(data)).pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise Refused(name, "the file starts like a PDF but cannot be read as one") from exc
    if pages < 1:
        raise Refused(name, "the PDF has no pages")


def _reencoded(name: str, data: bytes, media_type: str) -> bytes:
    kind = "JPEG" if media_type == JPEG else "PNG"
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise Refused(name, f"the image has more than {MAX_PIXELS} pixels")
            probe.verify()
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            upright = ImageOps.exif_transpose(image)
            pixels = Image.new(upright.mode, upright.size)  # pixels only: no info, no EXIF
            pixels.paste(upright)
            out = io.BytesIO()
            if kind == "JPEG":
                pixels.convert("RGB" if pixels.mode not in ("L", "RGB", "CMYK") else pixels.mode
                               ).save(out, "JPEG", quality=92)
            else:
                pixels.save(out, "PNG", optimize=False)
    except Refused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError) as exc:
        raise Refused(name, f"the file starts like a {kind} image but cannot be decoded") \
            from exc
    return out.getvalue()
