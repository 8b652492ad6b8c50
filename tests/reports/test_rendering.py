"""Real WeasyPrint PDFs, read back with poppler: wording, totals, outcome, fonts, pages, escaping, safe fetching.

These render in the test process through the same service a worker runs (`report_run`);
tests/reports/test_worker.py renders through a real Celery worker.
"""

import hashlib
import io
import re
import socket
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from reports import rendering, services
from reports.models import JobStatus, ReportJob, ReportKind
from rounds.services import round_add_hospital
from scoring.selectors import assessment_result_data
from tests.conftest import Cast

from .conftest import HOSTILE_REMARK, finalized_inspection, make_round, page_count, pdffonts, pdftotext, save_pngs

pytestmark = pytest.mark.django_db
MAX_BYTES = 2 * 1024 * 1024


class Listener:
    """A TCP port on 127.0.0.1 that counts connections, to prove the renderer never calls out."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def render(job: ReportJob) -> ReportJob:
    outcome = services.report_run(job_id=job.pk, worker="test")
    job.refresh_from_db()
    assert outcome.status == "done", job.error
    return job


def test_an_assessment_report_prints_the_standard_the_scores_and_the_outcome(cast: Cast) -> None:
    # ★1.1-1-1 unmet fails the inspection whatever the total; A is a key-specialty hospital (weights apply).
    inspection = finalized_inspection(cast, cast.hospital_a, unmet=("1.1-1-1", "1.2-1-1"))
    result = assessment_result_data(inspection)
    job = render(services.report_request(actor=cast.qc_admin, kind=ReportKind.ASSESSMENT, assessment=inspection))
    path = Path(job.file.path)
    text = pdftotext(path)
    flat = "".join(text.split())  # table cells wrap: compare without line breaks and spaces
    assert "麻醉医疗质量控制评审报告" in flat
    assert "甲医院" in text and "三级甲等" in text
    # The standard's own wording, per criterion, and the ★ mark of a veto item.
    assert "凡开展手术治疗的二级以上医院均建立独立的麻醉科" in flat
    assert "★1.1-1-1" in flat
    # Totals and the outcome.
    assert f"{result['total']}/{result['max_total']}" in flat
    assert result["outcome"] == "fail" and "未达标" in text
    assert "单项否决（★）未达标" in text
    # The outcome names the veto as its reason: the total alone would pass (issue 13, D15).
    assert "未达标原因：单项否决（★）细则未达标；总分虽已达到本级达标分" in flat
    # Every page numbered, the generation time, the verification line with the content checksum.
    pages = page_count(path)
    assert 5 <= pages <= 40
    assert f"第1页共{pages}页" in flat and f"第{pages}页共{pages}页" in flat
    assert "生成时间" in text
    assert job.content_sha256 in flat
    # The recorded file checksum is the file's; the file is small enough to mail.
    assert hashlib.sha256(path.read_bytes()).hexdigest() == job.sha256
    assert job.size == path.stat().st_size < MAX_BYTES
    save_pngs(path, "assessment-report")


def test_the_report_embeds_a_subset_of_the_cjk_font_and_nothing_else(cast: Cast) -> None:
    inspection = finalized_inspection(cast, cast.hospital_a)
    job = render(services.report_request(actor=cast.qc_admin, kind=ReportKind.ASSESSMENT, assessment=inspection))
    fonts = pdffonts(Path(job.file.path))
    assert fonts, "no fonts in the PDF"
    assert any("Noto-Sans-CJK-SC" in f["name"] for f in fonts)
    for font in fonts:
        # Every glyph comes from Noto CJK (no fallback font: no missing-glyph boxes), embedded and subset.
        assert "Noto" in font["name"], font["line"]
        assert (font["emb"], font["sub"]) == ("yes", "yes"), font["line"]


def test_a_remark_holding_html_prints_as_text_and_fetches_nothing(cast: Cast, listener: Listener) -> None:
    remark = HOSTILE_REMARK.format(port=listener.port)
    inspection = finalized_inspection(cast, cast.hospital_a, partial={"3.1-3": "7.5"}, remark=remark)
    job = render(services.report_request(actor=cast.qc_admin, kind=ReportKind.ASSESSMENT, assessment=inspection))
    flat = "".join(pdftotext(Path(job.file.path)).split())
    assert f'<imgsrc="http://127.0.0.1:{listener.port}/x.png">' in flat
    assert "<b>粗体</b>&<script>alert(1)</script>PETCO2监测仪不足" in flat
    assert listener.connections == 0


def test_the_fetcher_serves_the_apps_static_files_only(listener: Listener) -> None:
    fetcher = rendering.StaticOnlyFetcher()
    css = fetcher.fetch(f"{rendering.BASE_URL}{settings.STATIC_URL.strip('/')}/css/report.css")
    assert b"@page" in css.read() and css.content_type == "text/css"
    refused = [
        "file:///etc/passwd",
        f"http://127.0.0.1:{listener.port}/x.png",
        f"https://127.0.0.1:{listener.port}/static/css/report.css",
        "https://evil.example/static/css/report.css",
        f"{rendering.BASE_URL}static/../anesqc/settings.py",
        f"{rendering.BASE_URL}static/%2e%2e/anesqc/settings.py",
        f"{rendering.BASE_URL}static/css/report.css?x=1",
        f"{rendering.BASE_URL}media/reports/1/1.pdf",
        "data:text/css,body{}",
    ]
    for url in refused:
        with pytest.raises(rendering.ResourceRefused):
            fetcher.fetch(url)
    assert listener.connections == 0


def test_a_document_naming_files_and_network_urls_renders_without_them(listener: Listener) -> None:
    html = (
        '<html lang="zh-CN"><head>'
        f'<link rel="stylesheet" href="http://127.0.0.1:{listener.port}/evil.css">'
        '<link rel="stylesheet" href="file:///etc/passwd">'
        "</head><body><p>你好</p>"
        f'<img src="http://127.0.0.1:{listener.port}/x.png"><img src="file:///etc/hostname">'
        "</body></html>"
    )
    pdf = rendering.HTML(
        string=html, base_url=rendering.BASE_URL, url_fetcher=rendering.StaticOnlyFetcher()
    ).write_pdf()
    assert pdf.startswith(b"%PDF")
    assert listener.connections == 0


def test_a_round_summary_ranks_each_level_and_draws_the_distribution(cast: Cast) -> None:
    rnd = make_round(cast, cast.hospital_a, cast.hospital_b)
    job = render(services.report_request(actor=cast.qc_admin, kind=ReportKind.ROUND_SUMMARY, rnd=rnd))
    path = Path(job.file.path)
    text = pdftotext(path)
    flat = "".join(text.split())
    assert "麻醉医疗质量控制检查轮次汇总报告" in flat
    for heading in ("总分分布", "各等级排名", "各章平均得分", "最常未达标的细则", "单项否决（★）未达标"):
        assert heading in text
    assert "三级甲等" in text and "二级甲等" in text
    assert "甲医院" in text and "乙医院" in text
    # The chart is SVG drawn into the PDF: its threshold labels are text.
    assert "三级甲等850" in flat and "二级甲等700" in flat
    # Both inspections left 1.2-1-1 unmet: it leads the most-failed list.
    assert "1.2-1-1" in flat
    assert 1 <= page_count(path) <= 20
    save_pngs(path, "round-summary", pages=2)


def test_all_reports_of_a_round_come_as_one_zip_with_checksums(cast: Cast) -> None:
    rnd = make_round(cast, cast.hospital_a, cast.hospital_b)
    parent = services.report_request(actor=cast.qc_admin, kind=ReportKind.ROUND_BULK, rnd=rnd)
    children = list(parent.children.order_by("id"))
    assert [c.kind for c in children] == [ReportKind.ROUND_SUMMARY, ReportKind.ASSESSMENT, ReportKind.ASSESSMENT]
    # The bulk job waits for its children.
    assert services.report_run(job_id=parent.pk, worker="test").status == "waiting"
    for child in children:
        render(child)
    parent.refresh_from_db()
    assert parent.status == JobStatus.PENDING and parent.progress == 95
    render(parent)
    with zipfile.ZipFile(io.BytesIO(Path(parent.file.path).read_bytes())) as archive:
        names = archive.namelist()
        sums = dict(reversed(line.split("  ", 1)) for line in archive.read("SHA256SUMS.txt").decode().splitlines())
        assert len(names) == 4 and names[-1] == "SHA256SUMS.txt"
        for name in names[:-1]:
            assert archive.read(name).startswith(b"%PDF")
            assert hashlib.sha256(archive.read(name)).hexdigest() == sums[name]
    assert {c.sha256 for c in ReportJob.objects.filter(parent=parent)} == set(sums.values())
    assert any("甲医院" in n for n in names) and any("乙医院" in n for n in names)


def test_the_zip_leaves_out_inspections_never_started_and_says_so(cast: Cast) -> None:
    # A's inspection is finalized; B is in the round, its inspection opened but never rated (issue 13, D17).
    rnd = make_round(cast, cast.hospital_a)
    round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_b)
    parent = services.report_request(actor=cast.qc_admin, kind=ReportKind.ROUND_BULK, rnd=rnd)
    children = list(parent.children.order_by("id"))
    assert [c.kind for c in children] == [ReportKind.ROUND_SUMMARY, ReportKind.ASSESSMENT]
    assert children[1].assessment is not None and children[1].assessment.hospital == cast.hospital_a
    for child in children:
        render(child)
    render(parent)
    with zipfile.ZipFile(io.BytesIO(Path(parent.file.path).read_bytes())) as archive:
        names = archive.namelist()
        assert not any("乙医院" in n for n in names if n.endswith(".pdf"))
        readme = archive.read("说明.txt").decode()
    assert "乙医院" in readme and "尚未开始" in readme
    assert "甲医院" in readme
    # The bulk request's page says it too.
    client = Client()
    client.force_login(cast.qc_admin)
    page = client.get(f"/reports/{parent.pk}/").content.decode()
    assert "未打包" in page and "乙医院" in page


A4_WIDTH_PT = 595.28
SIDE_MARGIN_PT = 15 / 25.4 * 72  # report.css: @page margin 18mm 15mm


def word_boxes(path: Path) -> list[tuple[str, float, float]]:
    """Every word pdftotext finds, with its left and right edge in points."""
    html = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return [
        (word, float(x_min), float(x_max))
        for x_min, x_max, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', html
        )
    ]


@pytest.mark.parametrize("report", ["hospital_a", "hospital_b", "round"])  # with and without the weight column
def test_every_table_stays_within_the_page_margins(cast: Cast, report: str) -> None:
    # The criteria tables' columns added up to 106% and ran about 10 mm past the right margin (issue 13, D16).
    if report == "round":
        rnd = make_round(cast, cast.hospital_a, cast.hospital_b)
        job = render(services.report_request(actor=cast.qc_admin, kind=ReportKind.ROUND_SUMMARY, rnd=rnd))
    else:
        inspection = finalized_inspection(cast, getattr(cast, report), remark="备注" * 40)
        job = render(services.report_request(actor=cast.qc_admin, kind=ReportKind.ASSESSMENT, assessment=inspection))
    words = word_boxes(Path(job.file.path))
    assert words
    right = A4_WIDTH_PT - SIDE_MARGIN_PT
    beyond = [(w, x_max) for w, _x_min, x_max in words if x_max > right + 0.5]
    assert beyond == [], beyond[:5]
    assert min(x_min for _w, x_min, _x_max in words) >= SIDE_MARGIN_PT - 0.5


def pages_as_images(pdf: bytes, tmp_path: Path, name: str) -> list[bytes]:
    """Every page of a PDF as a greyscale image (pdftoppm), to compare two renderings pixel for pixel."""
    (tmp_path / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "50", "-gray", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)], check=True, timeout=120
    )
    return [p.read_bytes() for p in sorted(tmp_path.glob(f"{name}-*.pgm"))]


@pytest.mark.parametrize("report", ["hospital_a", "round"])
def test_the_reports_user_agent_stylesheet_draws_every_page_as_weasyprints_own(
    cast: Cast, report: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reports are laid out with reports/report_ua.css instead of WeasyPrint's whole HTML stylesheet (issue 16: a
    fifth of a report's time). Each report uses only the elements it covers, and every page comes out the same."""
    import weasyprint

    rendered: list[str] = []
    render_to_string = rendering.render_to_string
    monkeypatch.setattr(
        rendering, "render_to_string", lambda *a, **k: rendered.append(render_to_string(*a, **k)) or rendered[-1]
    )
    if report == "round":
        rnd = make_round(cast, cast.hospital_a, cast.hospital_b)
        render(services.report_request(actor=cast.qc_admin, kind=ReportKind.ROUND_SUMMARY, rnd=rnd))
    else:
        inspection = finalized_inspection(cast, cast.hospital_a, remark="备注" * 40)
        render(services.report_request(actor=cast.qc_admin, kind=ReportKind.ASSESSMENT, assessment=inspection))
    (html,) = rendered

    outside_svg = re.sub(r"<svg\b.*?</svg>", "", html, flags=re.S)
    assert set(re.findall(r"<([a-z][a-z0-9]*)", outside_svg)) <= rendering.REPORT_TAGS

    def pdf(cls: type[weasyprint.HTML]) -> bytes:
        return cls(string=html, base_url=rendering.BASE_URL, url_fetcher=rendering.StaticOnlyFetcher()).write_pdf()

    ours = pages_as_images(pdf(rendering.ReportHTML), tmp_path, "ours")
    theirs = pages_as_images(pdf(weasyprint.HTML), tmp_path, "theirs")
    assert len(ours) == len(theirs) >= (5 if report == "hospital_a" else 1)
    assert [n for n, (a, b) in enumerate(zip(ours, theirs, strict=True), 1) if a != b] == []
