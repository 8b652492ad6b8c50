"""What a PDF may hold: read with pikepdf (qpdf) in a child process with limits, every object looked at.

No Django here. `pdf_problem(data)` answers None for a PDF that may be uploaded, or a (code, detail)
pair saying why not, with the codes of `filetypes.ContentProblem`:

- script: JavaScript (`/JS`, `/S /JavaScript`, a `/JavaScript` name tree), Launch, Rendition and
  RichMediaExecute actions, additional actions (`/AA`: run on opening a page, focusing a field...)
  and XFA forms (which carry scripts);
- interactive: actions that reach outside the file (URI, SubmitForm, ImportData, GoToR, GoToE, a
  Thread in another file, Sound, Movie), embedded files (`/EmbeddedFiles`, `/EF`, `/Type
  /EmbeddedFile`, FileAttachment annotations) and multimedia (RichMedia, Screen, Movie, Sound and 3D
  annotations);
- structure: qpdf cannot read the file, it has no page, or an object it lists could not be read
  (a viewer more lenient than qpdf might read it: what cannot be checked is not accepted);
- encrypted: it needs a password to open (a PDF with only an owner password opens and is checked);
- bomb: an object stream inflates past PDF_STREAM_MAX_MEMORY;
- too_complex: more objects or values than PDF_MAX_OBJECTS / PDF_MAX_VALUES, a qpdf limit hit,
  or the child ran out of its memory or time.

Wherever they are: every object of the cross-reference table is read (those inside compressed
object streams too) with everything nested in it, so the catalog's /OpenAction and /AA, name trees,
pages, annotations, form fields and orphaned objects alike. Names are compared as qpdf decodes them,
so `/J#61vaScript` is `/JavaScript`. Links inside the document (GoTo, outlines, named destinations)
are fine. The file is never changed: a signed PDF stays byte for byte what was signed.

qpdf parses before anything can be counted (a 20 MiB array of ten million numbers costs seconds
and over a gigabyte), so the check runs in a forked child with an address-space and CPU limit and
a wall-clock deadline; whatever happens there, the request is answered.
"""

import io
import json
import os
import re
import resource
import select
import signal
import time
from collections.abc import Collection
from typing import Any

import pikepdf
from pikepdf import ObjectType
from pikepdf import settings as qpdf_settings

PDF_MAX_OBJECTS = 500_000  # cross-reference entries; 2,000 pages with five links each make some 18,000
PDF_MAX_VALUES = 5_000_000  # dictionary entries and array items, all objects together
PDF_STREAM_MAX_MEMORY = 64 * 1024 * 1024  # what one object or xref stream may inflate to
PDF_CHECK_SECONDS = 15  # wall clock and CPU for the child
PDF_CHECK_MEMORY = 1024 * 1024 * 1024  # address space the child may add to what it inherits

SCRIPT_KEYS = frozenset({"/JS", "/AA", "/XFA", "/JavaScript"})
SCRIPT_ACTIONS = frozenset({"/JavaScript", "/Launch", "/Rendition", "/RichMediaExecute"})
OUTWARD_ACTIONS = frozenset({"/URI", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE", "/Sound", "/Movie"})
EMBEDDING_KEYS = frozenset({"/EmbeddedFiles", "/EF", "/RichMediaContent"})
EMBEDDING_SUBTYPES = frozenset({"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"})
# Filters an object stream may use: qpdf's memory limits cover Flate and predictors, not LZW.
OBJECT_STREAM_FILTERS = frozenset({"/FlateDecode"})

Problem = tuple[str, str]

# qpdf's limits are process-wide; only this module uses pikepdf, and the check runs in a child anyway.
qpdf_settings.set_qpdf_limits(
    flate_max_memory=PDF_STREAM_MAX_MEMORY,
    png_max_memory=PDF_STREAM_MAX_MEMORY,
    run_length_max_memory=PDF_STREAM_MAX_MEMORY,
    doc_max_warnings=1000,
)


def pdf_problem(data: bytes) -> Problem | None:
    """Why this PDF may not be uploaded, as (code, detail); None if it may."""
    return _in_child(data)


# The check itself -------------------------------------------------------------------------------------


def find_problem(data: bytes) -> Problem | None:
    """The check, in this process (the child runs it; tests may call it directly)."""
    limit_errors = qpdf_settings.qpdf_limit_errors()
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            xref = pdf.get_xref_table()
            problem = _object_streams(pdf, xref)
            if problem is None:
                problem = _objects(_as_json(pdf))
            if problem is None and len(pdf.pages) == 0:
                problem = ("structure", "no page")
            problem = problem or _unread(pdf.get_warnings())
    except pikepdf.PasswordError:
        return ("encrypted", "")
    except pikepdf.PdfError as exc:
        return ("structure", _short(str(exc)))
    if problem is None and qpdf_settings.qpdf_limit_errors() != limit_errors:
        problem = ("too_complex", "a qpdf limit was reached")
    return problem


def _unread(warnings: list[str]) -> Problem | None:
    """Something qpdf could not read and went on without (as null): a more lenient viewer might read it.

    qpdf says so only in its warnings; an object stream inflating past the limit and an object too
    big for the child's memory are named as such.
    """
    for warning in warnings:
        if "memory limit exceeded" in warning:
            return ("bomb", _short(warning))
        if "bad_alloc" in warning:
            return ("too_complex", _short(warning))
    for warning in warnings:
        if "error reading object" in warning or "error decoding stream data" in warning:
            return ("structure", _short(warning))
    return None


def _short(message: str) -> str:
    """qpdf's message without the name of the in-memory file it read ("stream <_io.BytesIO object at 0x...>")."""
    return re.sub(r"^stream <[^>]*>:? *", "", message)[:300]


def _name(value: Any) -> str:
    return str(value) if isinstance(value, pikepdf.Object) and value._type_code == ObjectType.name_ else ""


def _object_streams(pdf: pikepdf.Pdf, xref: dict[tuple[int, int], pikepdf.XrefEntry]) -> Problem | None:
    """Before any object is read from an object stream: its filters are ones qpdf inflates within limits."""
    if len(xref) > PDF_MAX_OBJECTS:
        return ("too_complex", f"{len(xref)} objects")
    streams = {entry.obj_stream_number for entry in xref.values() if entry.type == 2}
    for number in sorted(n for n in streams if n is not None):
        stream = pdf.get_object((number, 0))  # its dictionary only; the data is inflated on first use
        if not isinstance(stream, pikepdf.Stream):
            return ("structure", f"object stream {number} is not a stream")
        filters = stream.get("/Filter")
        names = [_name(f) for f in filters] if isinstance(filters, pikepdf.Array) else [_name(filters)]
        if filters is not None and not set(names) <= OBJECT_STREAM_FILTERS:
            return ("structure", f"object stream {number} filtered with {names}")
    return None


def _as_json(pdf: pikepdf.Pdf) -> dict[str, Any]:
    """Every object of the file and the trailer, as qpdf's JSON (v2) writes them, stream data left out.

    qpdf serialises in C++ several times faster than Python walks pikepdf objects. In it a name is
    "/Name" (decoded: `/J#61vaScript` is "/JavaScript"), a string "u:..." or "b:...", a reference
    "12 0 R"; a stream is {"stream": {"dict": ...}}, anything else {"value": ...}.
    """
    out = io.BytesIO()
    pdf.write_qpdf_json(out, decode_level=pikepdf.StreamDecodeLevel.none, json_stream_data=pikepdf.JSONStreamData.none)
    document = json.loads(out.getvalue())
    objects: dict[str, Any] = document["qpdf"][1]
    return objects


def _objects(objects: dict[str, Any]) -> Problem | None:
    """Every object and everything nested in it (references are not followed: each object is in the list)."""
    pending: list[Any] = [obj.get("stream", {}).get("dict", obj.get("value")) for obj in objects.values()]
    values = 0
    while pending:
        obj = pending.pop()
        items: Collection[Any]
        if isinstance(obj, dict):
            problem = _dictionary(obj)
            if problem:
                return problem
            items = obj.values()
        elif isinstance(obj, list):
            items = obj
        else:
            continue
        values += len(items)
        if values > PDF_MAX_VALUES:
            return ("too_complex", f"over {PDF_MAX_VALUES} values")
        pending.extend(item for item in items if isinstance(item, dict | list))
    return None


def _dictionary(obj: dict[str, Any]) -> Problem | None:
    if found := obj.keys() & SCRIPT_KEYS:
        return ("script", min(found))
    action, subtype, kind = (
        value if isinstance(value, str) else "" for value in map(obj.get, ("/S", "/Subtype", "/Type"))
    )
    if action in SCRIPT_ACTIONS:
        return ("script", f"/S {action}")
    if action in OUTWARD_ACTIONS or (action == "/Thread" and "/F" in obj):
        return ("interactive", f"/S {action}")
    if found := obj.keys() & EMBEDDING_KEYS:
        return ("interactive", min(found))
    if subtype in EMBEDDING_SUBTYPES:
        return ("interactive", f"/Subtype {subtype}")
    if kind == "/EmbeddedFile":
        return ("interactive", "/Type /EmbeddedFile")
    return None


# The child ---------------------------------------------------------------------------------------------

EXIT_OUT_OF_MEMORY = 3


def _in_child(data: bytes) -> Problem | None:
    """Run `find_problem` in a forked child with CPU, memory and time limits; its answer comes back through a pipe."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(data, write_end)
    os.close(write_end)
    try:
        answer, finished = _read_answer(read_end, time.monotonic() + PDF_CHECK_SECONDS)
    finally:
        os.close(read_end)
    if not finished:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if finished and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        code, detail = json.loads(answer)
        return (code, detail) if code else None
    if not finished or (os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL)):
        return ("too_complex", f"the check took over {PDF_CHECK_SECONDS} s")
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == EXIT_OUT_OF_MEMORY:
        return ("too_complex", f"the check needed over {PDF_CHECK_MEMORY} bytes")
    return ("structure", f"the check ended with status {status}")  # qpdf itself failed on the file


def _read_answer(fd: int, deadline: float) -> tuple[bytes, bool]:
    """Everything the child writes, until it closes its end (True) or the deadline passes (False)."""
    chunks: list[bytes] = []
    poller = select.poll()  # not select(): it cannot watch descriptors numbered past 1023
    poller.register(fd, select.POLLIN)
    while (left := deadline - time.monotonic()) > 0:
        if poller.poll(left * 1000):
            chunk = os.read(fd, 65536)
            if not chunk:
                return b"".join(chunks), True
            chunks.append(chunk)
    return b"", False


def _inherited_address_space() -> int:
    """The child's address space as forked (the limit is set above it: a web worker may already use a lot)."""
    with open("/proc/self/statm", "rb") as statm:  # Linux, where anesqc runs
        return int(statm.read().split()[0]) * resource.getpagesize()


def _child(data: bytes, write_end: int) -> None:
    status = 0
    try:
        limit = _inherited_address_space() + PDF_CHECK_MEMORY
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CPU, (PDF_CHECK_SECONDS, PDF_CHECK_SECONDS + 1))
        problem = find_problem(data)
        os.write(write_end, json.dumps(problem or ("", "")).encode())
    except MemoryError:
        status = EXIT_OUT_OF_MEMORY
    except BaseException:  # whatever happens in the child, it must never return into the request's code
        status = 1
    finally:
        os._exit(status)
