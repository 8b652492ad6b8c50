"""PDF reports: render time against a one-page Chinese "hello" PDF in the same process, file size, peak
memory of one render, and the throughput of a whole round's reports with 1 and 2 Celery workers.

scripts/with-services --redis -- .venv/bin/python bench/reports.py [--hospitals 50]

Without REDIS_URL (or on SQLite) the throughput part is skipped; the rest runs anywhere.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="anesqc-bench-reports-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp}/bench.sqlite3")
os.environ.setdefault("MEDIA_ROOT", f"{_tmp}/media")

from bench.common import bench_environment

bench_environment()

import django

django.setup()

from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.models import Hospital, Level, Role, User
from bench.common import Row, dump
from reports import content, rendering, services
from reports.models import JobStatus, ReportKind
from rounds.models import InspectionRound
from rounds.services import round_add_hospital, round_create
from scoring.models import Assessment, Criterion, Rating, Standard
from scoring.services import assessment_submit
from workspace.services import assessment_finalize

HELLO = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"></head>'
    "<body style=\"font-family: 'Noto Sans CJK SC'\"><p>你好，麻醉质控报告。</p></body></html>"
)
LEVELS = [Level.L3A, Level.L3B, Level.L2A, Level.L2B]


def median_seconds(fn: Callable[[], object], *, repeat: int) -> float:
    fn()  # warm up: fonts, templates, CSS
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def render_hello() -> bytes:
    """The floor: a one-page Chinese PDF through the same WeasyPrint, user-agent stylesheet, font and fetcher."""
    return rendering.ReportHTML(
        string=HELLO, base_url=rendering.BASE_URL, url_fetcher=rendering.StaticOnlyFetcher()
    ).write_pdf()


def render_full(assessment: Assessment) -> rendering.Rendered:
    """What a worker does for one assessment report, short of storing it: gather, lay out, write."""
    data = content.assessment_report(assessment, job_id=1, generated_at=timezone.now())
    context = {
        "report": data,
        "content_sha256": content.content_sha256(data),
        "html_lang": "zh-CN",
        "css": services._css(
            header_left="麻醉医疗质量控制评审报告",
            header_right=assessment.hospital.name,
            generated_at=data["generated_at"],
            report_no=data["report_no"],
        ),
    }
    return rendering.render_pdf("reports/pdf/assessment.html", context)


def finalized_inspection(assessment: Assessment, admin: User, index: int) -> Assessment:
    """Rate every applicable criterion, a few short of full marks with remarks, then submit and finalize."""
    criteria = Criterion.objects.filter(standard=assessment.standard).order_by("position")
    if not assessment.hospital.key_specialty:
        criteria = criteria.filter(applies_to="all")
    rows = []
    for n, c in enumerate(criteria):
        if (n + index) % 9 == 0:
            rows.append(
                Rating(assessment=assessment, criterion=c, rating="unmet", score=0, remark="现场未见相关记录。")
            )
        elif (n + index) % 5 == 0 and c.max_points >= 2:
            half = Decimal(int(c.max_points) // 2)  # a whole number strictly between 0 and the maximum
            rows.append(
                Rating(
                    assessment=assessment, criterion=c, rating="partial", score=half, remark="制度有，执行记录不全。"
                )
            )
        else:
            rows.append(Rating(assessment=assessment, criterion=c, rating="met", score=c.max_points))
    Rating.objects.bulk_create(rows)
    assessment_submit(actor=admin, assessment=assessment)
    return assessment_finalize(actor=admin, assessment=assessment)


def make_round(hospitals: int) -> tuple[InspectionRound, User]:
    admin = User.objects.create_user("bench-qc", password="bench-password-1", role=Role.QC_ADMIN)
    rnd = round_create(
        actor=admin,
        name="基准轮次",
        year=2026,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=timezone.localdate(),
        inspection_start=timezone.localdate(),
        inspection_end=timezone.localdate(),
    )
    for i in range(hospitals):
        hospital = Hospital.objects.create(
            name=f"基准医院{i + 1:02d}", level=LEVELS[i % 4], key_specialty=i % 5 == 0, district="渝中区"
        )
        entry = round_add_hospital(actor=admin, rnd=rnd, hospital=hospital)
        assert entry.inspection is not None
        finalized_inspection(entry.inspection, admin, i)
    return rnd, admin


def memory_child(mode: str, assessment_id: int) -> None:
    """Run in a fresh process: one render, then print its peak RSS and Python heap peak as JSON."""
    assessment = Assessment.objects.select_related("hospital", "standard").get(pk=assessment_id)
    tracemalloc.start()
    if mode == "full":
        render_full(assessment)
    else:
        render_hello()
    _, peak = tracemalloc.get_traced_memory()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rss_kb": rss_kb, "python_peak": peak}))


def measure_memory(mode: str, assessment_id: int) -> dict[str, int]:
    done = subprocess.run(  # noqa: S603 (this script, with constant arguments)
        [sys.executable, __file__, "--memory", mode, "--assessment", str(assessment_id)],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ.copy(),
        timeout=300,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_workers(count: int, media_root: str) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "MEDIA_ROOT": media_root, "DEBUG": "false", "LOG_LEVEL": "WARNING"}
    workers = []
    for i in range(count):
        workers.append(
            subprocess.Popen(  # noqa: S603 (celery from this virtualenv, constant arguments)
                [sys.executable, "-m", "celery", "-A", "anesqc", "worker", "-n", f"bench{i}-{os.getpid()}@%h",
                 "--concurrency=1", "--loglevel=WARNING", "--without-gossip", "--without-mingle",
                 "--without-heartbeat"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip
    return workers


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for w in workers:
        w.terminate()
    for w in workers:
        try:
            w.wait(timeout=60)
        except subprocess.TimeoutExpired:
            w.kill()
            w.wait(timeout=10)


def round_throughput(rnd: InspectionRound, admin: User, workers: int) -> tuple[float, int]:
    """Seconds from one bulk request (summary + every inspection report + ZIP) until its ZIP is done."""
    from anesqc.celery import app

    app.control.purge()
    procs = start_workers(workers, os.environ["MEDIA_ROOT"])
    try:
        time.sleep(5)  # let the workers connect before the clock starts
        start = time.perf_counter()
        job = services.report_request(actor=admin, kind=ReportKind.ROUND_BULK, rnd=rnd)
        while True:
            job.refresh_from_db()
            if job.status in (JobStatus.DONE, JobStatus.FAILED):
                break
            if time.perf_counter() - start > 1800:
                sys.exit("bulk job did not finish in 30 minutes")
            time.sleep(0.2)
        elapsed = time.perf_counter() - start
        if job.status != JobStatus.DONE:
            sys.exit(f"bulk job failed: {job.error}")
        return elapsed, job.children.count()
    finally:
        stop_workers(procs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hospitals", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-throughput", action="store_true", help="only render time, size and memory")
    parser.add_argument("--memory", choices=["full", "hello"], help=argparse.SUPPRESS)
    parser.add_argument("--assessment", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="10 hospitals, fewer repeats")
    parser.add_argument("--smoke", action="store_true", help="1 hospital, one render, no memory or throughput")
    parser.add_argument("--json", help="also write the rows to this file (bench/all.py)")
    args = parser.parse_args()
    if args.quick:
        args.hospitals, args.repeat = 10, 2
    if args.smoke:
        args.hospitals, args.repeat, args.skip_throughput = 1, 1, True
    if args.memory:
        memory_child(args.memory, args.assessment)
        return

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    rnd, admin = make_round(args.hospitals)
    print(f"set up a round of {args.hospitals} finalized inspections in {time.perf_counter() - start:.0f} s")
    # The largest report: a key-specialty hospital (all 102 criteria) with shortfalls, remarks and a plan.
    assessment = (
        Assessment.objects.select_related("hospital", "standard")
        .filter(hospital__key_specialty=True, kind="inspection")
        .order_by("pk")
        .first()
    )
    assert assessment is not None

    hello = median_seconds(render_hello, repeat=args.repeat * 4)
    full = median_seconds(lambda: render_full(assessment), repeat=args.repeat)
    rendered = render_full(assessment)
    print(f"anesqc report benchmarks ({connection.vendor}); ratio = measured / floor in this run")
    print(f"{'figure':<44}{'measured':>12}{'floor':>12}{'ratio':>8}")
    print(
        f"{'full assessment report (' + str(rendered.pages) + ' pages)':<44}{full:>11.3f}s{hello:>11.3f}s{full / hello:>8.1f}"
    )
    print(f"{'  per page':<44}{full / rendered.pages:>11.3f}s{hello:>11.3f}s{full / rendered.pages / hello:>8.1f}")
    print(
        f"PDF size: {len(rendered.pdf) / 1024:.0f} KiB ({len(rendered.pdf) / (2 * 1024 * 1024):.0%} of the 2 MiB limit)"
    )

    if args.smoke:  # the fresh processes of the memory figure load the CJK fonts again: seconds each
        mem_full = mem_hello = {"rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "python_peak": 0}
    else:
        mem_full = measure_memory("full", assessment.pk)
        mem_hello = measure_memory("hello", assessment.pk)
    print(
        f"peak memory of one render (fresh process, ru_maxrss): {mem_full['rss_kb'] / 1024:.0f} MiB "
        f"(hello: {mem_hello['rss_kb'] / 1024:.0f} MiB); Python heap peak {mem_full['python_peak'] / 2**20:.1f} MiB "
        f"(hello: {mem_hello['python_peak'] / 2**20:.1f} MiB)"
    )

    rows = [
        Row("report: one-page Chinese “hello” PDF (floor)", hello, "s"),
        Row(f"report: full assessment report ({rendered.pages} pages)", full, "s", floor=hello, goal="≤ 4"),
        Row("report: full assessment report, per page", full / rendered.pages, "s", floor=hello, goal="≤ 1.5"),
        Row("report: PDF size", len(rendered.pdf) / 1024, "KiB", goal="< 2048", limit=2048),
        Row("report: peak memory of one render (RSS)", mem_full["rss_kb"] / 1024, "MiB"),
    ]
    if args.skip_throughput or connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        if not args.skip_throughput:
            print("round throughput skipped: needs PostgreSQL and Redis (scripts/with-services --redis -- ...)")
        if args.json:
            dump(rows, args.json)
        return
    results: dict[int, float] = {}
    for workers in (1, 2):
        elapsed, children = round_throughput(rnd, admin, workers)
        results[workers] = elapsed
        print(
            f"round of {args.hospitals} ({children} PDFs + ZIP), {workers} worker(s): {elapsed:.1f} s, "
            f"{children / elapsed * 60:.0f} reports/min"
        )
    print(f"speed-up with 2 workers: {results[1] / results[2]:.2f}x (on {os.cpu_count()} cores)")
    for workers in (1, 2):
        rows.append(
            Row(f"report: round of {args.hospitals}, {workers} worker(s), request to ZIP", results[workers], "s")
        )
    rows.append(
        Row("report: round speed-up from 1 to 2 workers", results[1] / results[2], "×", goal="≥ 1.7", higher=True)
    )
    if args.json:
        dump(rows, args.json)


if __name__ == "__main__":
    main()
