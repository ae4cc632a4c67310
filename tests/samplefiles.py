"""Files for attachment tests, made here: a one-page PDF, a JPEG carrying EXIF with a GPS
position and a camera model, a PNG with a text chunk, and an ELF executable's header."""

from __future__ import annotations

import io

from PIL import Image, PngImagePlugin
from pypdf import PdfWriter

GPS_IFD = 0x8825
MODEL = 0x0110


def pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[MODEL] = "Provkamera 3000"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (59.0, 19.0, 48.0), 3: "E", 4: (18.0, 4.0, 6.0)})
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Tolvan Tolvansson")
    out = io.BytesIO()
    Image.new("RGB", (10, 10), (0, 0, 255)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def elf() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + bytes(56) + b"\x90" * 512


def exif_of(jpeg: bytes) -> dict:
    with Image.open(io.BytesIO(jpeg)) as image:
        exif = image.getexif()
        return {**dict(exif), **{f"gps{k}": v for k, v in exif.get_ifd(GPS_IFD).items()}}
