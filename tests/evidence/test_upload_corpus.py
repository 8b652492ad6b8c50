"""The upload corpus of issue 7: hostile files are refused and good ones accepted, by content and not by name.

Every file is built here, in memory. Each case goes through `check_file` with its name exactly as
written (as any caller could pass it), and through the real upload URL of an assessment, where
nothing may be stored when it is refused. Django's multipart parser strips paths and invisible
characters from names before the app sees them; `test_a_path_in_a_multipart_name_never_reaches_storage`
shows that, and the cases whose names carry them are checked by `check_file` only.
"""

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.test import Client
from openpyxl import Workbook

from common.uploads import check_file
from evidence.models import Evidence
from tests.conftest import Cast
from tests.factories import AssessmentFactory

from .conftest import (
    DOC_BYTES,
    DOCX_BYTES,
    GIF_BYTES,
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    RAW_CATALOG,
    RAW_PAGE,
    RAW_PAGES,
    WEBP_BYTES,
    XLS_BYTES,
    image_bytes,
    office_zip,
    ole_file,
    pdf_bytes,
    raw_pdf,
    stored_files,
)

LIMIT = 2 * 1024 * 1024  # EVIDENCE_MAX_BYTES for this module, so the oversize file stays small
HTML = b"<html><body><script>fetch('/api/v1/users/').then(r => r.text()).then(alert)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.cookie)</script></svg>'
XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""'
    b' xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>'
    + "麻醉科制度".encode()
    + b"</dc:title></rdf:Description>"
    b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


# Builders ---------------------------------------------------------------------------------------------


def png_with(ctype: bytes, data: bytes, png: bytes = PNG_BYTES) -> bytes:
    """A PNG (the test one by default) with one more chunk, with a correct CRC, just before IEND."""
    chunk = struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))
    return png[:-12] + chunk + png[-12:]


def jpeg_with(marker: int, body: bytes) -> bytes:
    """The test JPEG with one more segment right after its start."""
    return JPEG_BYTES[:2] + bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body + JPEG_BYTES[2:]


def gif_with_comment(text: bytes) -> bytes:
    """The test GIF with a comment extension before its trailer."""
    blocks = b"".join(bytes([len(part)]) + part for part in (text[i : i + 255] for i in range(0, len(text), 255)))
    return GIF_BYTES[:-1] + b"\x21\xfe" + blocks + b"\x00" + GIF_BYTES[-1:]


def pdf_with(body: bytes) -> bytes:
    return b"%PDF-1.4\n" + body + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# PDFs: built with pikepdf (`pdf_bytes`), or byte by byte (`raw`) for what pikepdf would not write.
Name, Dictionary, Array, String = pikepdf.Name, pikepdf.Dictionary, pikepdf.Array, pikepdf.String
JS = "app.alert(document.cookie)"
URL = "https://example.org/collect"


def action(kind: str, **entries: Any) -> pikepdf.Dictionary:
    return Dictionary(Type=Name.Action, S=Name("/" + kind), **entries)


def fresh(obj: pikepdf.Object) -> Callable[[], pikepdf.Object]:
    """A new copy of `obj` at each call. A pikepdf object put into a document belongs to it and dies with it,
    and the corpus may be built more than once in a run (pytest-django reorders the tests)."""
    source = obj.unparse()
    return lambda: pikepdf.Object.parse(source)


def open_action(act: pikepdf.Dictionary, **save: Any) -> Callable[[], bytes]:
    """A PDF whose catalog runs `act` when it is opened (the action is an indirect object)."""
    new_action = fresh(act)

    def build(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = pdf.make_indirect(new_action())

    return lambda: pdf_bytes(build=build, **save)


def annotated(**entries: Any) -> Callable[[], bytes]:
    """A PDF whose page carries one annotation with these entries (a form field's is in the form too)."""
    new_annotation = fresh(Dictionary(Type=Name.Annot, Rect=Array([72, 600, 300, 640]), **entries))

    def build(pdf: pikepdf.Pdf) -> None:
        annotation = pdf.make_indirect(new_annotation())
        pdf.pages[0].Annots = pdf.make_indirect(Array([annotation]))
        if annotation.Subtype == Name.Widget:
            pdf.Root.AcroForm = Dictionary(Fields=Array([annotation]))

    return lambda: pdf_bytes(build=build)


def catalog(**save: Any) -> Callable[..., Callable[[], bytes]]:
    """`catalog()(Names=...)`: a PDF whose catalog has these entries."""

    def entries(**more: Any) -> Callable[[], bytes]:
        new_entries = fresh(Dictionary(**more))
        return lambda: pdf_bytes(build=lambda pdf: pdf.Root.update(new_entries()), **save)

    return entries


def page_aa() -> bytes:
    # An additional action on opening the page: a harmless-looking named action, refused for being automatic.
    return pdf_bytes(build=lambda pdf: setattr(pdf.pages[0].obj, "AA", Dictionary(O=action("Named", N=Name.NextPage))))


def embedded_file() -> bytes:
    def build(pdf: pikepdf.Pdf) -> None:
        pdf.attachments["说明.exe"] = pikepdf.AttachedFileSpec(
            pdf, b"MZ\x90\x00" + bytes(64), mime_type="application/x-msdownload"
        )

    return pdf_bytes(build=build)


def file_attachment_annotation() -> bytes:
    def build(pdf: pikepdf.Pdf) -> None:
        spec = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00" + bytes(64), filename="readme.exe")
        annotation = Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment, Rect=Array([72, 72, 90, 90]), FS=spec.obj)
        pdf.pages[0].Annots = pdf.make_indirect(Array([pdf.make_indirect(annotation)]))

    return pdf_bytes(build=build)


def xfa_form() -> bytes:
    def build(pdf: pikepdf.Pdf) -> None:
        xdp = pdf.make_stream(b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template/></xdp:xdp>')
        pdf.Root.AcroForm = Dictionary(Fields=Array([]), XFA=xdp)

    return pdf_bytes(build=build)


def internal_links() -> bytes:
    """Three pages, a link from the first to the last, a named destination and an outline: all inside the file."""

    def build(pdf: pikepdf.Pdf) -> None:
        last = pdf.pages[2].obj
        link = Dictionary(
            Type=Name.Annot,
            Subtype=Name.Link,
            Rect=Array([72, 600, 300, 640]),
            A=action("GoTo", D=Array([last, Name.Fit])),
        )
        pdf.pages[0].Annots = pdf.make_indirect(Array([pdf.make_indirect(link)]))
        pdf.Root.Names = Dictionary(Dests=Dictionary(Names=Array([String("结论"), Array([last, Name.Fit])])))
        with pdf.open_outline() as outline:
            outline.root.extend(
                pikepdf.OutlineItem(title, page) for page, title in enumerate(["一、制度", "二、记录", "三、结论"])
            )

    return pdf_bytes("Policy", "Records", "Conclusion", build=build)


def form_field() -> bytes:
    """A fillable text field with no action: forms as such are fine."""

    def build(pdf: pikepdf.Pdf) -> None:
        field = pdf.make_indirect(
            Dictionary(
                Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=String("科室"), Rect=Array([72, 600, 300, 630])
            )
        )
        pdf.pages[0].Annots = pdf.make_indirect(Array([field]))
        pdf.Root.AcroForm = Dictionary(Fields=Array([field]))

    return pdf_bytes(build=build)


def scanned_page() -> bytes:
    """A page with a scanned-looking image: compressed random bytes, where markup could appear by chance."""

    def build(pdf: pikepdf.Pdf) -> None:
        noise = random.Random(12).randbytes(600 * 800 * 3)
        image = pdf.make_stream(
            zlib.compress(noise),
            Type=Name.XObject,
            Subtype=Name.Image,
            Width=600,
            Height=800,
            ColorSpace=Name.DeviceRGB,
            BitsPerComponent=8,
            Filter=Name.FlateDecode,
        )
        pdf.pages[0].Resources.XObject = Dictionary(Im0=image)
        pdf.pages[0].Contents = pdf.make_stream(b"q 451 0 0 602 72 120 cm /Im0 Do Q")

    return pdf_bytes(build=build)


def raw(catalog: bytes = b"", page: bytes = b"", **options: Any) -> Callable[[], bytes]:
    """A one-page PDF written byte by byte (`raw_pdf`), with more in its catalog and page dictionaries."""
    more = options.pop("objects", {})
    return lambda: raw_pdf({1: RAW_CATALOG % catalog, 2: RAW_PAGES, 3: RAW_PAGE % page, **more}, **options)


def object_stream_bomb() -> bytes:
    """An object stream whose one object is a 65 MiB string of zeros: some 65 KiB deflated."""
    return raw_pdf(
        {1: RAW_CATALOG % b"/OpenAction 4 0 R", 2: RAW_PAGES, 3: RAW_PAGE % b""},
        in_stream={4: b"<< /S /GoTo /D [3 0 R /Fit] /Pad <" + b"0" * (65 * 1024 * 1024) + b"> >>"},
    )


def zip_bomb() -> bytes:
    """A Word document whose one picture is 20 MiB of zeros, deflated to some 20 KiB (ratio ~1000)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/media/image1.png", bytes(20 * 1024 * 1024))
    return buffer.getvalue()


def zip_bomb_with_lying_directory() -> bytes:
    """The same bomb in an Excel package whose headers claim the member unpacks to 150 KB (a harmless ratio)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", bytes(20 * 1024 * 1024))
    raw = bytearray(buffer.getvalue())
    info = zipfile.ZipFile(io.BytesIO(bytes(raw))).getinfo("xl/worksheets/sheet1.xml")
    struct.pack_into("<I", raw, info.header_offset + 22, 150_000)  # local header: uncompressed size
    central = raw.find(b"PK\x01\x02")
    while raw[central + 46 : central + 46 + len(info.filename)] != info.filename.encode():
        central = raw.find(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", raw, central + 24, 150_000)  # central directory: uncompressed size
    return bytes(raw)


def many_members() -> bytes:
    return office_zip("xl/workbook.xml", *(f"xl/media/{i}.bin" for i in range(10_001)), content=b"")


def real_xlsx() -> bytes:
    book = Workbook()
    book.active.append(["科室", "床位"])
    book.active.append(["麻醉科", 12])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# The corpus -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One file: its name, how to build its bytes, and the refusal's code (empty: accepted as `content_type`)."""

    id: str
    name: str
    content: Callable[[], bytes]
    refused: str = ""
    content_type: str = ""
    over_http: bool = True  # False: Django's parser would change the name before the app sees it


def accepted(id: str, name: str, content: Callable[[], bytes], content_type: str) -> Case:
    return Case(id, name, content, content_type=content_type)


def refused(id: str, name: str, content: Callable[[], bytes], code: str, *, over_http: bool = True) -> Case:
    return Case(id, name, content, refused=code, over_http=over_http)


CORPUS = [
    # Good files of every kind, some with the metadata real ones carry.
    accepted("pdf", "制度.pdf", lambda: PDF_BYTES, "application/pdf"),
    accepted("pdf-pages", "制度.pdf", lambda: pdf_bytes("Page 1", "Page 2", "Page 3", "Page 4"), "application/pdf"),
    accepted("pdf-internal-links", "制度.pdf", internal_links, "application/pdf"),
    accepted(
        "pdf-object-streams",
        "制度.pdf",
        lambda: pdf_bytes("Page 1", "Page 2", object_stream_mode=pikepdf.ObjectStreamMode.generate),
        "application/pdf",
    ),
    accepted("pdf-form-field", "表单.pdf", form_field, "application/pdf"),
    accepted("pdf-scanned", "扫描件.pdf", scanned_page, "application/pdf"),
    accepted(
        "pdf-owner-password",
        "签章.pdf",
        lambda: pdf_bytes(
            encryption=pikepdf.Encryption(owner="5678", user="", allow=pikepdf.Permissions(modify_other=False))
        ),
        "application/pdf",
    ),
    accepted("png", "照片.png", lambda: PNG_BYTES, "image/png"),
    accepted(
        "png-xmp", "照片.png", lambda: png_with(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + XMP), "image/png"
    ),
    accepted("png-text", "照片.png", lambda: png_with(b"tEXt", b"Software\x00Pillow"), "image/png"),
    accepted("jpeg", "照片.JPG", lambda: JPEG_BYTES, "image/jpeg"),
    accepted("jpeg-xmp", "照片.jpeg", lambda: jpeg_with(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP), "image/jpeg"),
    accepted(
        "jpeg-motion-photo", "动态照片.jpg", lambda: JPEG_BYTES + b"\x00\x00\x00\x18ftypmp42" + bytes(64), "image/jpeg"
    ),
    accepted("gif", "动图.gif", lambda: GIF_BYTES, "image/gif"),
    accepted("gif-comment", "动图.gif", lambda: gif_with_comment("科室合影".encode()), "image/gif"),
    accepted("webp", "图.webp", lambda: WEBP_BYTES, "image/webp"),
    accepted("doc", "记录.doc", lambda: DOC_BYTES, "application/msword"),
    accepted("xls", "台账.xls", lambda: XLS_BYTES, "application/vnd.ms-excel"),
    accepted(
        "docx",
        "记录.docx",
        lambda: DOCX_BYTES,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    accepted(
        "xlsx", "2026.03 台账.xlsx", real_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    # PNG + HTML polyglots: a valid PNG carrying a page in a text chunk, after its end, or instead of its chunks.
    refused("png-html-in-text-chunk", "头像.png", lambda: png_with(b"tEXt", b"Comment\x00" + HTML), "markup"),
    refused("png-html-after-iend", "头像.png", lambda: PNG_BYTES + HTML, "structure"),
    refused("png-signature-then-html", "头像.png", lambda: PNG_BYTES[:8] + HTML, "structure"),
    refused("png-html-in-private-chunk", "头像.png", lambda: png_with(b"htMl", HTML), "markup"),
    refused(
        "png-html-compressed", "头像.png", lambda: png_with(b"zTXt", b"Comment\x00\x00" + zlib.compress(HTML)), "markup"
    ),
    refused("jpeg-html-in-comment", "头像.jpg", lambda: jpeg_with(0xFE, b"<img src=x onerror=alert(1)>"), "markup"),
    refused("jpeg-html-after-end", "头像.jpg", lambda: JPEG_BYTES + HTML, "markup"),
    refused("gif-script-comment", "动图.gif", lambda: gif_with_comment(b"<a href=javascript:alert(1)>x</a>"), "markup"),
    refused("pdf-html-polyglot", "制度.pdf", lambda: pdf_with(HTML), "markup"),
    # SVG with script: not an accepted type by name, nor by content under another name, nor hidden in a PNG.
    refused("svg-script", "图.svg", lambda: SVG, "type"),
    refused("svg-script-as-png", "图.png", lambda: SVG, "unknown"),
    refused(
        "svg-in-png-metadata", "图.png", lambda: png_with(b"iTXt", b"Description\x00\x00\x00\x00\x00" + SVG), "markup"
    ),
    refused(
        "svg-tag-in-jpeg-xmp",
        "图.jpg",
        lambda: jpeg_with(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<svg onload=x>"),
        "markup",
    ),
    # .php.jpg: a real JPEG, but a name that a misconfigured server would run, and PHP inside a JPEG.
    refused("php-jpg", "x.php.jpg", lambda: JPEG_BYTES, "name"),
    refused("php-jpg-upper-case", "x.PHP.jpg", lambda: JPEG_BYTES, "name"),
    refused("html-pdf", "通知.html.pdf", lambda: PDF_BYTES, "name"),
    refused("php-in-jpeg", "头像.jpg", lambda: jpeg_with(0xFE, b"<?php system($_GET['c']); ?>"), "markup"),
    # Zip bombs in Office files, and other hostile packages.
    refused("docx-zip-bomb", "记录.docx", zip_bomb, "bomb"),
    refused("xlsx-zip-bomb-lying-directory", "台账.xlsx", zip_bomb_with_lying_directory, "structure"),
    refused("xlsx-too-many-members", "台账.xlsx", many_members, "bomb"),
    refused(
        "xlsx-zip-slip", "台账.xlsx", lambda: office_zip("xl/workbook.xml", "../../../../tmp/evil.sh"), "archive_path"
    ),
    refused("docm-as-docx", "记录.docx", lambda: office_zip("word/document.xml", "word/vbaProject.bin"), "macro"),
    refused("doc-with-macros", "记录.doc", lambda: ole_file("WordDocument", "Macros", "VBA"), "macro"),
    refused("xls-with-macros", "台账.xls", lambda: ole_file("Workbook", "_VBA_PROJECT_CUR", "VBA"), "macro"),
    refused("encrypted-docx", "记录.docx", lambda: ole_file("EncryptionInfo", "EncryptedPackage"), "encrypted"),
    # PDFs, read by qpdf: scripts and actions are found wherever they are and however they are spelled.
    refused("pdf-javascript", "表单.pdf", open_action(action("JavaScript", JS=JS)), "script"),
    refused("pdf-launch", "表单.pdf", open_action(action("Launch", F=String("cmd.exe"))), "script"),
    refused(
        "pdf-javascript-escaped", "表单.pdf", raw(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"), "script"
    ),
    refused("pdf-launch-escaped", "表单.pdf", raw(b"/OpenAction << /S /L#61unch /F (cmd.exe) >>"), "script"),
    refused(
        "pdf-javascript-in-object-stream",
        "表单.pdf",
        open_action(action("JavaScript", JS=JS), object_stream_mode=pikepdf.ObjectStreamMode.generate),
        "script",
    ),
    refused(
        "pdf-orphan-javascript-in-object-stream",
        "表单.pdf",
        raw(in_stream={4: b"<< /S /JavaScript /JS (app.alert(1)) >>"}),
        "script",
    ),
    refused(
        "pdf-javascript-name-tree",
        "表单.pdf",
        catalog(object_stream_mode=pikepdf.ObjectStreamMode.generate)(
            Names=Dictionary(JavaScript=Dictionary(Names=Array([String("init"), action("JavaScript", JS=JS)])))
        ),
        "script",
    ),
    refused("pdf-catalog-aa", "表单.pdf", catalog()(AA=Dictionary(WC=action("Named", N=Name.Print))), "script"),
    refused("pdf-page-aa", "表单.pdf", page_aa, "script"),
    refused("pdf-xfa", "表单.pdf", xfa_form, "script"),
    refused("pdf-openaction-uri", "制度.pdf", open_action(action("URI", URI=URL)), "interactive"),
    refused("pdf-link-uri", "制度.pdf", annotated(Subtype=Name.Link, A=action("URI", URI=URL)), "interactive"),
    refused(
        "pdf-submitform",
        "表单.pdf",
        annotated(Subtype=Name.Widget, FT=Name.Btn, T=String("提交"), A=action("SubmitForm", F=URL)),
        "interactive",
    ),
    refused("pdf-importdata", "表单.pdf", open_action(action("ImportData", F=String("data.fdf"))), "interactive"),
    refused(
        "pdf-gotor",
        "制度.pdf",
        annotated(Subtype=Name.Link, A=action("GoToR", F=String("other.pdf"), D=Array([0, Name.Fit]))),
        "interactive",
    ),
    refused(
        "pdf-gotoe", "制度.pdf", open_action(action("GoToE", T=Dictionary(R=Name.C, N=String("a.pdf")))), "interactive"
    ),
    refused("pdf-embedded-files", "制度.pdf", embedded_file, "interactive"),
    refused("pdf-file-attachment-annotation", "制度.pdf", file_attachment_annotation, "interactive"),
    refused(
        "pdf-richmedia",
        "制度.pdf",
        annotated(Subtype=Name.RichMedia, RichMediaContent=Dictionary(Assets=Dictionary(Names=Array([])))),
        "interactive",
    ),
    # PDFs that cannot be checked in full are not accepted.
    refused("pdf-broken", "制度.pdf", lambda: b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n", "structure"),
    refused(
        "pdf-without-pages",
        "制度.pdf",
        lambda: raw_pdf({1: RAW_CATALOG % b"", 2: b"<< /Type /Pages /Kids [] /Count 0 >>"}),
        "structure",
    ),
    refused(
        "pdf-lzw-object-stream",
        "制度.pdf",
        raw(in_stream={4: b"<< /S /GoTo /D [3 0 R /Fit] >>"}, filters=b"/LZWDecode"),
        "structure",
    ),
    refused("pdf-object-stream-bomb", "制度.pdf", object_stream_bomb, "bomb"),
    refused(
        "pdf-password",
        "制度.pdf",
        lambda: pdf_bytes(encryption=pikepdf.Encryption(user="1234", owner="5678")),
        "encrypted",
    ),
    # Markup appended to an image or a PDF (issue 12 L8): found by the whole-file scan.
    refused(
        "jpeg-svg-appended",
        "头像.jpg",
        lambda: JPEG_BYTES + b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">',
        "markup",
    ),
    refused(
        "jpeg-svg-animate-appended",
        "头像.jpg",
        lambda: JPEG_BYTES + b"<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
        "markup",
    ),
    refused("jpeg-link-appended", "头像.jpg", lambda: JPEG_BYTES + b'<a href="https://phish.example/login">', "markup"),
    refused(
        "jpeg-onmouseover-appended",
        "头像.jpg",
        lambda: JPEG_BYTES + b'<div style="position:fixed;inset:0" onmouseover="alert(1)">',
        "markup",
    ),
    refused(
        "jpeg-data-url-appended",
        "头像.jpg",
        lambda: JPEG_BYTES + b"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "markup",
    ),
    refused(
        "png-markup-appended", "头像.png", lambda: PNG_BYTES + b'<a href="https://phish.example/login">', "structure"
    ),
    refused(
        "png-data-url-compressed",
        "头像.png",
        lambda: png_with(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"data:text/html,<b>hi</b>")),
        "markup",
    ),
    refused("pdf-link-appended", "制度.pdf", lambda: PDF_BYTES + b'<a href="https://phish.example/login">', "markup"),
    refused("pdf-onmouseover-appended", "制度.pdf", lambda: PDF_BYTES + b"<div onmouseover='alert(1)'>", "markup"),
    refused("pdf-svg-appended", "制度.pdf", lambda: PDF_BYTES + b"<svg/onpointerenter=alert(1)>", "markup"),
    refused("pdf-data-url-appended", "制度.pdf", lambda: PDF_BYTES + b"data:text/html,<b>hi</b>", "markup"),
    # Other disguises.
    refused("html-as-jpg", "照片.jpg", lambda: HTML, "unknown"),
    refused("exe-as-pdf", "制度.pdf", lambda: b"MZ\x90\x00\x03" + bytes(200), "unknown"),
    refused("png-as-pdf", "制度.pdf", lambda: PNG_BYTES, "unknown"),
    refused("truncated-png", "照片.png", lambda: PNG_BYTES[:-4], "structure"),
    # Names with a path: refused as given (over HTTP, Django's parser has already cut the path off).
    refused("dot-dot-slash", "../x.pdf", lambda: PDF_BYTES, "name", over_http=False),
    refused("dot-dot-slash-deep", "../../../etc/cron.d/x.pdf", lambda: PDF_BYTES, "name", over_http=False),
    refused("dot-dot-backslash", "..\\..\\x.pdf", lambda: PDF_BYTES, "name", over_http=False),
    refused("absolute", "/var/www/x.pdf", lambda: PDF_BYTES, "name", over_http=False),
    refused("encoded-slash", "..%2f..%2fx.pdf", lambda: PDF_BYTES, "name"),
    refused("nul-in-name", "x.php\x00.pdf", lambda: PDF_BYTES, "name", over_http=False),
    refused("right-to-left-override", "报告\u202efdp.exe", lambda: PDF_BYTES, "name", over_http=False),
    # Size.
    refused("oversize", "扫描.pdf", lambda: PDF_BYTES + bytes(LIMIT + 1 - len(PDF_BYTES)), "size"),
    refused("empty", "空.pdf", lambda: b"", "empty"),
]


@pytest.fixture(autouse=True)
def _limit(settings: Any) -> None:
    settings.EVIDENCE_MAX_BYTES = LIMIT


@pytest.fixture(scope="module")
def built() -> dict[str, bytes]:
    """Each case's bytes, built once (the bombs take a moment)."""
    return {case.id: case.content() for case in CORPUS}


def test_the_corpus_covers_every_case_of_issue_7() -> None:
    codes = {case.id: case.refused for case in CORPUS}
    assert codes["png-html-in-text-chunk"] and codes["svg-script"] and codes["php-jpg"]  # polyglot, SVG, .php.jpg
    assert codes["docx-zip-bomb"] == "bomb" and codes["dot-dot-slash"] == "name" and codes["oversize"] == "size"
    assert {c.content_type for c in CORPUS if not c.refused} >= {"application/pdf", "image/png", "image/jpeg"}


def test_the_corpus_covers_every_case_of_issue_12(built: dict[str, bytes]) -> None:
    codes = {case.id: case.refused for case in CORPUS}
    assert codes["pdf-javascript-escaped"] == codes["pdf-launch-escaped"] == "script"  # M4: names as qpdf decodes them
    assert codes["pdf-javascript-in-object-stream"] == "script" and codes["pdf-openaction-uri"] == "interactive"
    # A literal search for the names could not have found these: they are escaped, or compressed.
    for case in ("pdf-javascript-escaped", "pdf-launch-escaped", "pdf-javascript-in-object-stream"):
        assert b"/JavaScript" not in built[case] and b"/Launch" not in built[case]
    assert {codes[c] for c in ("jpeg-svg-animate-appended", "jpeg-link-appended", "jpeg-data-url-appended")} == {
        "markup"
    }
    assert not codes["pdf-internal-links"] and not codes["pdf-owner-password"]


@pytest.mark.parametrize("case", CORPUS, ids=[case.id for case in CORPUS])
def test_check_file(case: Case, built: dict[str, bytes]) -> None:
    upload = ContentFile(built[case.id], name=case.name)  # the name as given: ContentFile keeps any path
    if not case.refused:
        checked = check_file(upload)
        assert checked.content_type == case.content_type
        assert checked.name == case.name
        return
    with pytest.raises(ValidationError) as exc:
        check_file(upload)
    assert exc.value.code == case.refused
    [message] = exc.value.messages
    assert message.startswith("“")  # names the file


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in CORPUS if c.over_http], ids=[c.id for c in CORPUS if c.over_http])
def test_through_the_upload_url(case: Case, built: dict[str, bytes], cast: Cast, media_root: Path) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    client = Client()
    client.force_login(cast.head_a)
    upload = ContentFile(built[case.id], name=case.name)
    response = client.post(f"/assessments/{assessment.pk}/criteria/1.1-1-1/evidence/", {"files": [upload]})
    if not case.refused:
        assert response.status_code == 302
        evidence = Evidence.objects.get()
        assert evidence.content_type == case.content_type and evidence.original_name == case.name
        return
    assert response.status_code == 400
    assert "“" in response.content.decode()  # the message naming the file is on the page
    assert not Evidence.objects.exists()
    assert stored_files(media_root) == []


def multipart(name: str, content: bytes) -> tuple[bytes, str]:
    """A multipart body with a raw `filename` (the test client would take the base name itself)."""
    boundary = "corpus-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["../../../etc/cron.d/制度.pdf", "..\\..\\制度.pdf", "/var/www/制度.pdf"])
def test_a_path_in_a_multipart_name_never_reaches_storage(name: str, cast: Cast, media_root: Path) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    client = Client()
    client.force_login(cast.head_a)
    body, content_type = multipart(name, PDF_BYTES)
    response = client.post(f"/assessments/{assessment.pk}/criteria/1.1-1-1/evidence/", body, content_type=content_type)
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.original_name == "制度.pdf"  # Django's parser kept the last part only
    [stored] = stored_files(media_root)
    assert stored.resolve().is_relative_to(media_root.resolve())
    assert stored.relative_to(media_root).as_posix() == evidence.file.name
    assert stored.name == Path(evidence.file.name).name and len(stored.stem) == 32  # a UUID, not the user's name


@pytest.mark.django_db
def test_the_rectification_and_profile_uploads_apply_the_same_checks(cast: Cast, media_root: Path) -> None:
    from departments.models import ProfileDocument
    from rectification.models import RectificationEvidence
    from tests.rectification.conftest import plan

    client = Client()
    client.force_login(cast.head_a)
    polyglot = png_with(b"tEXt", b"Comment\x00" + HTML)
    item = plan(cast, cast.hospital_a)[0]
    response = client.post(
        f"/rectification/{item.pk}/answer/", {"answer": "已整改", "files": [ContentFile(polyglot, name="图.png")]}
    )
    assert "含有网页代码或脚本" in response.content.decode()
    response = client.post(
        f"/hospitals/{cast.hospital_a.pk}/profile/2026/documents/",
        {"fact": "monitors", "files": [ContentFile(polyglot, name="图.png")]},
        follow=True,
    )
    assert "含有网页代码或脚本" in response.content.decode()
    assert not RectificationEvidence.objects.exists() and not ProfileDocument.objects.exists()
    assert stored_files(media_root) == []


def test_a_large_image_is_checked_whole(settings: Any) -> None:
    # Markup at the end of a big image is found too: the scan is not limited to the first bytes.
    settings.EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
    big = image_bytes("PNG", (1200, 1200), compress_level=0)
    assert len(big) > 4 * 1024 * 1024
    assert check_file(ContentFile(big, name="大.png")).content_type == "image/png"
    with pytest.raises(ValidationError) as exc:
        check_file(ContentFile(png_with(b"tEXt", b"Comment\x00" + HTML, big), name="大.png"))
    assert exc.value.code == "markup"
