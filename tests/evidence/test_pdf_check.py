"""The PDF check's own limits: qpdf reads the file in a child process that cannot take the request down with it.

What a PDF may hold is shown file by file in test_upload_corpus.py; here, what happens when a PDF
costs too much to read, or when reading it goes wrong in the child.
"""

import faulthandler
import os
import time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from common import pdfcheck
from common.uploads import check_file

from .conftest import PDF_BYTES, RAW_CATALOG, RAW_PAGE, RAW_PAGES, pdf_bytes, raw_pdf


def refusal(data: bytes) -> str:
    with pytest.raises(ValidationError) as exc:
        check_file(ContentFile(data, name="制度.pdf"))
    return str(exc.value.code)


def test_a_clean_pdf_is_checked_in_a_child_and_accepted() -> None:
    assert pdfcheck.pdf_problem(PDF_BYTES) is None
    assert pdfcheck.find_problem(PDF_BYTES) is None  # the same check, in this process


def test_more_values_than_the_cap_is_too_complex(monkeypatch: pytest.MonkeyPatch) -> None:
    huge = raw_pdf({1: RAW_CATALOG % b"", 2: RAW_PAGES, 3: RAW_PAGE % b"/Widths 4 0 R", 4: b"[" + b"0 " * 5000 + b"]"})
    assert pdfcheck.pdf_problem(huge) is None
    monkeypatch.setattr(pdfcheck, "PDF_MAX_VALUES", 1000)  # the child is forked, so it sees the patch
    assert refusal(huge) == "too_complex"


def test_more_objects_than_the_cap_is_too_complex(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdfcheck, "PDF_MAX_OBJECTS", 3)
    assert refusal(pdf_bytes("1", "2", "3")) == "too_complex"


def test_a_structure_nested_past_qpdfs_limit_is_too_complex() -> None:
    deep = b"[" * 600 + b"<< /S /GoTo /D [3 0 R /Fit] >>" + b"]" * 600
    assert (
        refusal(raw_pdf({1: RAW_CATALOG % b"/Deep 4 0 R", 2: RAW_PAGES, 3: RAW_PAGE % b"", 4: deep})) == "too_complex"
    )


def test_an_object_too_big_for_the_childs_memory_is_too_complex(monkeypatch: pytest.MonkeyPatch) -> None:
    # qpdf gives up on the object and goes on without it (null): that is refused, never accepted unread.
    # Whether 64 MiB more than the worker already holds is enough to read it depends on that worker (a
    # busy machine, another allocator state): if qpdf does read it, the script inside refuses the file.
    monkeypatch.setattr(pdfcheck, "PDF_CHECK_MEMORY", 64 * 1024 * 1024)
    big = b"[" + b"0 " * 1_000_000 + b"<< /S /JavaScript /JS (app.alert(1)) >> ]"
    found = refusal(raw_pdf({1: RAW_CATALOG % b"/Big 4 0 R", 2: RAW_PAGES, 3: RAW_PAGE % b"", 4: big}))
    assert found in ("too_complex", "script")


def test_a_check_that_runs_out_of_time_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    def stuck(data: bytes) -> Any:
        time.sleep(60)

    monkeypatch.setattr(pdfcheck, "find_problem", stuck)
    monkeypatch.setattr(pdfcheck, "PDF_CHECK_SECONDS", 1)
    started = time.monotonic()
    assert pdfcheck.pdf_problem(PDF_BYTES) == ("too_complex", "the check took over 1 s")
    assert time.monotonic() - started < 10


def test_a_check_that_runs_out_of_memory_is_too_complex(monkeypatch: pytest.MonkeyPatch) -> None:
    def greedy(data: bytes) -> Any:
        return bytearray(2 * pdfcheck.PDF_CHECK_MEMORY)

    monkeypatch.setattr(pdfcheck, "find_problem", greedy)
    assert pdfcheck.pdf_problem(PDF_BYTES) == (
        "too_complex",
        f"the check needed over {pdfcheck.PDF_CHECK_MEMORY} bytes",
    )


def test_a_crash_in_the_child_refuses_the_file_and_leaves_the_request_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(data: bytes) -> Any:
        faulthandler.disable()  # pytest's, inherited: it would print the child's stack
        os.abort()

    monkeypatch.setattr(pdfcheck, "find_problem", crash)
    code, _ = pdfcheck.pdf_problem(PDF_BYTES) or ("", "")
    assert code == "structure"
    assert refusal(PDF_BYTES) == "structure"


def test_the_child_is_always_reaped(monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(3):
        pdfcheck.pdf_problem(PDF_BYTES)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child left behind, finished or not
