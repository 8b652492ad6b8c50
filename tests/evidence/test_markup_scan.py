"""The whole-file markup scan (issue 12 L8) does not refuse ordinary files by chance.

Its patterns run over compressed image and PDF data, where any byte sequence may occur: each is
strict enough that a 20 MiB file of random bytes matches one by chance less than once in 10^5
(common/filetypes.py, ANYWHERE). Here: real images of several kinds and sizes with photographic noise,
PDFs carrying compressed images, and 60 MiB of random bytes after a JPEG. Word and Excel files are
not scanned for markup (their packages are checked member by member); the corpus accepts them.
The hostile cases are in test_upload_corpus.py.
"""

import io
import random
import zlib
from typing import Any

import pikepdf
import pytest
from django.core.files.base import ContentFile
from PIL import Image

from common.filetypes import identify
from common.uploads import check_file

from .conftest import JPEG_BYTES, pdf_bytes


def photo(fmt: str, size: tuple[int, int], seed: int, **options: Any) -> bytes:
    """An image of noise over a gradient: compresses like a photograph, not like a flat colour."""
    width, height = size
    noise = Image.frombytes("RGB", size, random.Random(seed).randbytes(width * height * 3))
    gradient = Image.linear_gradient("L").resize(size).convert("RGB")
    buffer = io.BytesIO()
    Image.blend(gradient, noise, 0.6).save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _limit(settings: Any) -> None:
    settings.EVIDENCE_MAX_BYTES = 20 * 1024 * 1024


PHOTOS = [
    ("JPEG", {"quality": 92}, "image/jpeg", [(16, 16), (640, 480), (1600, 1200), (4000, 3000)]),
    ("PNG", {}, "image/png", [(16, 16), (640, 480), (1600, 1200), (2400, 1800)]),
    ("GIF", {}, "image/gif", [(16, 16), (640, 480), (1024, 768)]),  # Pillow's quantising is slow
    ("WEBP", {"quality": 90}, "image/webp", [(16, 16), (640, 480), (1600, 1200), (2400, 1800)]),
]


@pytest.mark.parametrize(
    ("fmt", "options", "content_type", "size"),
    [(fmt, options, content_type, size) for fmt, options, content_type, sizes in PHOTOS for size in sizes],
    ids=[f"{fmt}-{w}x{h}" for fmt, _, _, sizes in PHOTOS for w, h in sizes],
)
def test_generated_photos_of_every_kind_and_size_are_accepted(
    fmt: str, options: dict[str, Any], content_type: str, size: tuple[int, int]
) -> None:
    data = photo(fmt, size, seed=size[0] * 7 + len(fmt), **options)
    assert check_file(ContentFile(data, name=f"照片.{fmt.lower()}")).content_type == content_type


@pytest.mark.parametrize("pages", [1, 8])
def test_pdfs_of_scanned_pages_are_accepted(pages: int) -> None:
    def build(pdf: pikepdf.Pdf) -> None:
        for number, page in enumerate(pdf.pages):
            noise = random.Random(number).randbytes(1200 * 1600)
            image = pdf.make_stream(
                zlib.compress(noise),
                Type=pikepdf.Name.XObject,
                Subtype=pikepdf.Name.Image,
                Width=1200,
                Height=1600,
                ColorSpace=pikepdf.Name.DeviceGray,
                BitsPerComponent=8,
                Filter=pikepdf.Name.FlateDecode,
            )
            page.Resources.XObject = pikepdf.Dictionary(Im0=image)
            page.Contents = pdf.make_stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q")

    data = pdf_bytes(*(f"Page {n}" for n in range(pages)), build=build)
    assert len(data) > pages * 1024 * 1024
    assert check_file(ContentFile(data, name="扫描件.pdf")).content_type == "application/pdf"


def test_sixty_mebibytes_of_random_bytes_match_no_pattern() -> None:
    # A JPEG may carry data after its end (a phone's motion-photo clip), and all of it is scanned.
    tail = random.Random(2026).randbytes(60 * 1024 * 1024)
    assert identify(io.BytesIO(JPEG_BYTES + tail)).key == "jpeg"
