"""What a file's own bytes say it is: the accepted kinds, recognised by signature and structure, and what may not be inside.

No Django here: `identify(fh)` reads a seekable binary file and answers its Kind, or raises
ContentProblem with a code saying why it is refused. The extension plays no part; the caller
compares it with the answer.

What is checked, beyond the leading bytes:
- images (PNG, GIF, WebP) are walked block by block (PNG chunk checksums too) and must end where
  their format says; a JPEG's segments are walked up to its image data. Data hidden after the end
  is refused, except after a JPEG (phones append motion-photo clips there), which the scan covers.
- PDFs and images must hold no HTML or script anywhere (a PNG+HTML polyglot, an SVG tucked into
  metadata, a PHP payload, markup appended to a JPEG or a PDF). The whole-file patterns are strict
  enough that compressed bytes match them by chance less than once in 10^5 files of 20 MiB (see
  ANYWHERE); looser forms (`<svg `, `<a `, any `on...=`) are looked for only where text lives (PNG
  text chunks, JPEG comments and XMP, GIF comments, WebP XMP), together with the strict ones.
- PDFs are read by qpdf (`common.pdfcheck`): no JavaScript, launch or other actions that run
  something or reach outside the file, no additional actions, embedded files, multimedia or XFA,
  anywhere in the file; a PDF qpdf cannot fully read, or that needs a password, is refused.
- Word and Excel packages (ZIP): the Office folder, no macro project, no member path leaving
  the package, and no zip bomb (Apache POI's rule: a member over 100 KiB may not inflate more than
  100 times; also caps on members and on the unpacked total). Every member is then inflated,
  within that cap, to check its CRC, which catches sizes the directory lies about.
  `zip_limits` applies the same directory checks for other readers of uploaded packages.
- Old Word and Excel files (OLE): the document's own stream, no macros, and encrypted files are
  named as such.
"""

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

from .pdfcheck import pdf_problem


@dataclass(frozen=True)
class Kind:
    """One accepted file type: its content type and the extensions a file of it may have."""

    key: str
    content_type: str
    extensions: tuple[str, ...]


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in (
        Kind("pdf", "application/pdf", (".pdf",)),
        Kind("jpeg", "image/jpeg", (".jpg", ".jpeg")),
        Kind("png", "image/png", (".png",)),
        Kind("gif", "image/gif", (".gif",)),
        Kind("webp", "image/webp", (".webp",)),
        Kind("doc", "application/msword", (".doc",)),
        Kind("docx", DOCX, (".docx",)),
        Kind("xls", "application/vnd.ms-excel", (".xls",)),
        Kind("xlsx", XLSX, (".xlsx",)),
    )
}
BY_EXTENSION: dict[str, Kind] = {ext: kind for kind in KINDS.values() for ext in kind.extensions}

PDF = b"%PDF-"
PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"
GIFS = (b"GIF87a", b"GIF89a")
ZIP = b"PK\x03\x04"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# ZIP limits (Apache POI's ZipSecureFile defaults for the ratio and its grace size).
ZIP_MAX_MEMBERS = 10_000
ZIP_MAX_RATIO = 100
ZIP_RATIO_GRACE = 100 * 1024
ZIP_MAX_UNPACKED = 1024 * 1024 * 1024  # a legitimate 20 MiB spreadsheet unpacks to some 350 MB
TEXT_CHUNK_MAX = 1024 * 1024  # a compressed PNG text chunk is inflated this far at most

# Searched for in the lower-cased bytes of the whole file, one by one: each starts with a literal,
# which the regex engine looks for at memchr speed (an alternation would be ten times slower).
# Random bytes (compressed image or PDF data) match a letter with p = 2/256 once lower-cased, any
# other byte with 1/256: every pattern must cost at least ~2^-41 per position, so that a 20 MiB file
# (2^24.3 positions) matches by chance less than once in 10^5. `<svg>` alone (2^-37) or `<a ` (2^-20)
# would not do: an `<svg` needs an attribute with a value or a tag right after it, and `<a` an href.
ANYWHERE = tuple(
    re.compile(pattern)
    for pattern in (
        rb"<script",
        rb"<iframe",
        rb"<object",
        rb"<embed",
        rb"<!doctype\s+html",
        rb"<html[\s>]",
        rb"<body[\s>]",
        rb"<\?php\s",
        rb"javascript:",
        rb"vbscript:",
        rb"onerror\s*=",
        rb"onload\s*=",
        rb"<svg(?:[\s/]+[a-z:-]+\s*=|\s*>\s*<)",
        rb"<a[\s/]+href\s*=",
        rb"data:\s*(?:text/html|image/svg\+xml|application/xhtml\+xml)",
    )
)
# Event handlers by name (HTML, SVG and DOM; a prefix takes in its family, `onmouse` `onmouseover`),
# as an attribute: after a space, a slash or a quote (checked on each match, so the literal `on`
# still leads the search). The shortest, `oncut=`, `onend=`, `onkey=`, cost 2^-43 plus the separator.
HANDLER = re.compile(
    rb"on(?:abort|afterprint|animation|auxclick|before|begin|blur|cancel|canplay|change|click|close|content"
    rb"|context|copy|cuechange|cut|dblclick|drag|drop|durationchange|emptied|end|error|focus|formdata"
    rb"|fullscreen|gotpointer|hashchange|input|invalid|key|languagechange|load|lostpointer|message|mouse"
    rb"|offline|online|page|paste|pause|play|pointer|popstate|progress|ratechange|rejectionhandled|repeat"
    rb"|reset|resize|scroll|search|security|seek|select|show|slotchange|stalled|storage|submit|suspend"
    rb"|timeupdate|toggle|touch|transition|unhandledrejection|unload|volumechange|waiting|webkit|wheel|zoom)"
    rb"[a-z]*\s*="
)
HANDLER_AFTER = frozenset(b" \t\n\r\f\v/\"'")
# Matched against the lower-cased text a format keeps as text (comments, XMP, PNG text chunks).
IN_TEXT = re.compile(
    rb"<(?:script|iframe|object|embed|svg|html|body|head|img|a|meta|form|style|link|base|math|!doctype)[\s>/]"
    rb"|<\?php|javascript:|vbscript:|\son[a-z]+\s*="
)


class ContentProblem(Exception):
    """Why the bytes are refused: `code` is one of unknown, structure, markup, script, interactive, macro, bomb,
    archive_path, encrypted, too_complex; `detail` says what was found, for the log."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def identify(fh: IO[bytes]) -> Kind:
    """The kind of the file, from its bytes alone; ContentProblem if it is not an accepted kind or not safe."""
    fh.seek(0)
    head = fh.read(16)
    fh.seek(0)
    try:
        if head.startswith(ZIP):
            return _package(fh)
        data = fh.read()
    finally:
        fh.seek(0)
    if head.startswith(PDF):
        _no_markup(data, [])  # first: cheaper, and an HTML polyglot is named as such even if qpdf cannot read it
        _pdf(data)
        return KINDS["pdf"]
    if head.startswith(PNG):
        kind, text = KINDS["png"], _png_text(data)
    elif head.startswith(JPEG):
        kind, text = KINDS["jpeg"], _jpeg_text(data)
    elif head.startswith(GIFS):
        kind, text = KINDS["gif"], _gif_text(data)
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        kind, text = KINDS["webp"], _webp_text(data)
    elif head.startswith(OLE):
        return _ole(data)
    else:
        raise ContentProblem("unknown")
    _no_markup(data, text)
    return kind


def _no_markup(data: bytes, text: list[bytes]) -> None:
    for segment in (data, *text):  # text segments again: compressed ones are only seen inflated
        lowered = segment.lower()
        found = [match for pattern in ANYWHERE if (match := pattern.search(lowered))]
        found += [
            match
            for match in HANDLER.finditer(lowered)
            if match.start() and lowered[match.start() - 1] in HANDLER_AFTER
        ]
        if segment is not data:
            found += [match for match in [IN_TEXT.search(lowered)] if match]
        if found:
            raise ContentProblem("markup", found[0].group(0).decode("latin-1"))


def _pdf(data: bytes) -> None:
    problem = pdf_problem(data)
    if problem:
        raise ContentProblem(*problem)


# Images -----------------------------------------------------------------------------------------------


def _u32be(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "big")


def _png_text(data: bytes) -> list[bytes]:
    """Walk the chunks (lengths, types, CRCs): IHDR first, IEND last, nothing after. Returns the text chunks."""
    view = memoryview(data)
    pos, first, text = len(PNG), True, []
    while True:
        if pos + 12 > len(data):
            raise ContentProblem("structure", "PNG ends inside a chunk")
        length, ctype = _u32be(data, pos), bytes(view[pos + 4 : pos + 8])
        end = pos + 12 + length
        if not ctype.isalpha() or end > len(data):
            raise ContentProblem("structure", "PNG chunk header")
        if zlib.crc32(view[pos + 4 : end - 4]) != _u32be(data, end - 4):
            raise ContentProblem("structure", f"PNG {ctype!r} CRC")
        if first != (ctype == b"IHDR"):
            raise ContentProblem("structure", "PNG IHDR")
        first = False
        body = bytes(view[pos + 8 : end - 4]) if ctype in (b"tEXt", b"zTXt", b"iTXt") else b""
        text.extend(_png_text_chunk(ctype, body) if body else [])
        pos = end
        if ctype == b"IEND":
            break
    if pos != len(data):
        raise ContentProblem("structure", f"{len(data) - pos} bytes after PNG IEND")
    return text


def _png_text_chunk(ctype: bytes, body: bytes) -> list[bytes]:
    """The text of a tEXt, zTXt or iTXt chunk (compressed text inflated, up to a limit)."""
    keyword, _, rest = body.partition(b"\x00")
    compressed = b""
    if ctype == b"zTXt":
        compressed = rest[1:]
    elif ctype == b"iTXt" and rest[:1] == b"\x01":
        compressed = rest[2:].split(b"\x00", 2)[-1]  # after the flag, method, language and translated keyword
    if not compressed:
        return [keyword, rest]
    try:
        return [keyword, rest, zlib.decompressobj().decompress(compressed, TEXT_CHUNK_MAX)]
    except zlib.error as exc:
        raise ContentProblem("structure", "PNG compressed text") from exc


def _jpeg_text(data: bytes) -> list[bytes]:
    """Walk the segments up to the image data; returns comments and XMP."""
    pos, text = 2, []
    while True:
        while pos < len(data) and data[pos] == 0xFF and pos + 1 < len(data) and data[pos + 1] == 0xFF:
            pos += 1  # fill bytes
        if pos + 4 > len(data) or data[pos] != 0xFF:
            raise ContentProblem("structure", "JPEG segment")
        marker = data[pos + 1]
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            pos += 2  # standalone markers carry no length
            continue
        if marker == 0xD9:
            raise ContentProblem("structure", "JPEG without image data")
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise ContentProblem("structure", "JPEG segment length")
        body = data[pos + 4 : end]
        if marker == 0xFE or (marker == 0xE1 and body.startswith(b"http://ns.adobe.com/")):
            text.append(body)
        if marker == 0xDA:  # start of scan: entropy-coded data follows, to the end of image
            if data.find(b"\xff\xd9", end) == -1:
                raise ContentProblem("structure", "JPEG without end of image")
            return text
        pos = end


def _gif_text(data: bytes) -> list[bytes]:
    """Walk the blocks to the trailer, nothing after it; returns the comment and plain-text extensions."""

    def sub_blocks(pos: int) -> tuple[int, bytes]:
        parts: list[bytes] = []
        while True:
            if pos >= len(data):
                raise ContentProblem("structure", "GIF ends inside a block")
            size = data[pos]
            if size == 0:
                return pos + 1, b"".join(parts)
            parts.append(data[pos + 1 : pos + 1 + size])
            pos += 1 + size

    if len(data) < 13:
        raise ContentProblem("structure", "GIF header")
    pos = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    text = []
    while True:
        if pos >= len(data):
            raise ContentProblem("structure", "GIF without trailer")
        block = data[pos]
        if block == 0x3B:
            pos += 1
            break
        if block == 0x21 and pos + 1 < len(data):
            label = data[pos + 1]
            pos, body = sub_blocks(pos + 2)
            if label in (0xFE, 0x01, 0xFF):  # comment, plain text, application (XMP lives there)
                text.append(body)
        elif block == 0x2C and pos + 10 <= len(data):
            packed = data[pos + 9]
            pos += 10 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0) + 1  # + LZW minimum code size
            pos, _ = sub_blocks(pos)
        else:
            raise ContentProblem("structure", f"GIF block {block:#x}")
    if pos != len(data):
        raise ContentProblem("structure", f"{len(data) - pos} bytes after GIF trailer")
    return text


def _webp_text(data: bytes) -> list[bytes]:
    """Walk the RIFF chunks; the RIFF size must be the file's. Returns the XMP chunk."""
    if int.from_bytes(data[4:8], "little") + 8 != len(data):
        raise ContentProblem("structure", "WebP RIFF size is not the file's")
    pos, text, image = 12, [], False
    while pos < len(data):
        if pos + 8 > len(data):
            raise ContentProblem("structure", "WebP chunk header")
        fourcc, length = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        end = pos + 8 + length
        if end > len(data):
            raise ContentProblem("structure", "WebP chunk length")
        image = image or fourcc in (b"VP8 ", b"VP8L", b"ANMF")
        if fourcc == b"XMP ":
            text.append(data[pos + 8 : end])
        pos = end + (length & 1)
    if not image:
        raise ContentProblem("structure", "WebP without image data")
    return text


# Office -----------------------------------------------------------------------------------------------


def _package(fh: IO[bytes]) -> Kind:
    """A Word or Excel (Office Open XML) package, checked without trusting its directory."""
    try:
        with zipfile.ZipFile(fh) as archive:
            infos = archive.infolist()
            names = [info.filename for info in infos]
            _package_limits(infos, ZIP_MAX_UNPACKED)
            if "[Content_Types].xml" not in names:
                raise ContentProblem("unknown", "ZIP without [Content_Types].xml")
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                raise ContentProblem("macro", "vbaProject.bin")
            word = any(name.startswith("word/") for name in names)
            excel = any(name.startswith("xl/") for name in names)
            if word == excel:
                raise ContentProblem("unknown", "neither or both of word/ and xl/")
            for info in infos:
                with archive.open(info) as member:
                    for _ in _chunks(member):
                        pass  # zipfile checks the CRC once the member is read to its declared size
    except ContentProblem:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
        raise ContentProblem("structure", f"ZIP: {exc}") from exc
    except (RuntimeError, NotImplementedError) as exc:  # encrypted members, unknown compression
        raise ContentProblem("structure", f"ZIP: {exc}") from exc
    return KINDS["docx"] if word else KINDS["xlsx"]


def zip_limits(fh: IO[bytes], *, max_unpacked: int | None = ZIP_MAX_UNPACKED) -> None:
    """Refuse a ZIP whose directory gives a bomb or an escaping path away, inflating nothing.

    For other readers of uploaded packages (the case import's XLSX, whose files may legitimately
    unpack to a gigabyte: max_unpacked=None keeps the ratio and member limits only).
    ContentProblem "bomb" or "archive_path", or "structure" if it is not a readable ZIP.
    """
    fh.seek(0)
    try:
        with zipfile.ZipFile(fh) as archive:
            _package_limits(archive.infolist(), max_unpacked)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise ContentProblem("structure", f"ZIP: {exc}") from exc
    finally:
        fh.seek(0)


def _package_limits(infos: list[zipfile.ZipInfo], max_unpacked: int | None) -> None:
    if len(infos) > ZIP_MAX_MEMBERS:
        raise ContentProblem("bomb", f"{len(infos)} members")
    total = 0
    for info in infos:
        parts = PurePosixPath(info.filename).parts
        if info.filename.startswith("/") or "\\" in info.filename or ".." in parts or ":" in info.filename:
            raise ContentProblem("archive_path", info.filename)
        if info.file_size > ZIP_RATIO_GRACE and info.file_size > ZIP_MAX_RATIO * max(info.compress_size, 1):
            raise ContentProblem("bomb", f"{info.filename}: {info.compress_size} -> {info.file_size} bytes")
        total += info.file_size
    if max_unpacked is not None and total > max_unpacked:
        raise ContentProblem("bomb", f"{total} bytes unpacked")


def _chunks(fh: IO[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    while chunk := fh.read(size):
        yield chunk


def _ole_entries(data: bytes, names: tuple[str, ...]) -> set[str]:
    """Which of `names` are entries of the compound file's directory.

    Directory entries start on 128-byte boundaries with the UTF-16 name, zero-padded, and hold the
    name's byte length (with its terminator) at +64 and the entry type (storage 1, stream 2) at +66;
    a name found there is an entry, not text that happens to spell it.
    """
    found = set()
    for name in names:
        needle = name.encode("utf-16-le") + b"\x00\x00"
        pos = data.find(needle, 512)
        while pos != -1:
            if (
                pos % 128 == 0
                and pos + 68 <= len(data)
                and int.from_bytes(data[pos + 64 : pos + 66], "little") == len(needle)
                and data[pos + 66] in (1, 2)
            ):
                found.add(name)
                break
            pos = data.find(needle, pos + 1)
    return found


def _ole(data: bytes) -> Kind:
    """An old Word (.doc) or Excel (.xls) compound file."""
    if len(data) < 1024 or data[28:30] != b"\xfe\xff" or data[30] not in (9, 12):
        raise ContentProblem("structure", "OLE header")
    entries = _ole_entries(
        data, ("WordDocument", "Workbook", "Book", "Macros", "_VBA_PROJECT_CUR", "VBA", "EncryptedPackage")
    )
    if "EncryptedPackage" in entries:
        raise ContentProblem("encrypted")
    if entries & {"Macros", "_VBA_PROJECT_CUR", "VBA"}:
        raise ContentProblem("macro", ", ".join(sorted(entries)))
    if "WordDocument" in entries:
        return KINDS["doc"]
    if entries & {"Workbook", "Book"}:
        return KINDS["xls"]
    raise ContentProblem("unknown", "OLE file that is neither a Word nor an Excel document")
