"""Attachments are judged by content: allowed types pass (images without their metadata),
anything else is refused with a reason that names the file."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from services.messaging.attachments.filecheck import JPEG, PDF, PNG, Refused, check, clean_name
from tests import samplefiles

MAX = 1024 * 1024


def test_a_pdf_passes_unchanged() -> None:
    data = samplefiles.pdf()
    checked = check("remiss.pdf", data, max_bytes=MAX)
    assert (checked.media_type, checked.data) == (PDF, data)


def test_a_jpeg_loses_its_exif_and_gps_but_keeps_its_picture() -> None:
    data = samplefiles.jpeg_with_gps()
    assert samplefiles.exif_of(data)  # the sample does carry a position and a camera
    checked = check("utslag.jpg", data, max_bytes=MAX)
    assert checked.media_type == JPEG
    assert samplefiles.exif_of(checked.data) == {}
    with Image.open(io.BytesIO(checked.data)) as image:
        assert image.size == (64, 48)


def test_a_png_loses_its_text_chunks() -> None:
    checked = check("bild.png", samplefiles.png_with_text(), max_bytes=MAX)
    assert checked.media_type == PNG
    assert b"Tolvan" not in checked.data


def test_a_renamed_executable_is_refused_naming_the_file() -> None:
    with pytest.raises(Refused) as refused:
        check("journal.pdf", samplefiles.elf(), max_bytes=MAX)
    assert refused.value.reason.startswith("journal.pdf: the content is not a PDF, JPEG or PNG")


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"), (b"%PDF-1.7 but nothing else", "cannot be read as one"),
    (b"\xff\xd8\xff\xe0 broken", "cannot be decoded")])
def test_broken_or_empty_files_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        check("x.pdf", data, max_bytes=MAX)


def test_a_file_over_the_limit_is_refused() -> None:
    with pytest.raises(Refused, match="larger than 100 bytes"):
        check("stor.pdf", samplefiles.pdf(), max_bytes=100)


def test_names_lose_paths_and_control_characters() -> None:
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("C:\\Users\\a\\remiss.pdf") == "remiss.pdf"
    assert clean_name("a\x00b.png") == "a_b.png"
    assert clean_name("/") == "file"
