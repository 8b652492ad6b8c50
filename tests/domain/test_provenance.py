"""Issue 14 item 2: every indicator says where its numerator, denominator and target come from.

Seed 003 sets only "手术麻醉期间低体温发生率、I类切口手术抗菌药物预防使用率进一步降低 …… 日间手术占择期手术的
比例进一步提高": the hypothermia definition (核心体温低于36℃), the class-I incision antibiotic and the
day-surgery formulas come from outside the seeds, and the data must say so, naming the document.
"""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from indicators import definitions
from indicators.models import Indicator
from indicators.presentation import provenance_line
from tests.conftest import Cast

ROOT = Path(__file__).resolve().parents[2]
DATA: dict[str, Any] = json.loads((ROOT / "fixtures" / "indicators.json").read_text(encoding="utf-8"))
ALL = {i["code"]: i for s in DATA["sets"] for i in s["indicators"]}


@pytest.fixture(autouse=True)
def _chinese() -> Any:
    with translation.override("zh-hans"):
        yield


@pytest.mark.parametrize("code", sorted(ALL))
def test_every_indicator_states_its_provenance(code: str) -> None:
    provenance = ALL[code]["provenance"]
    assert {"numerator", "denominator"} <= set(provenance)
    for origin in provenance.values():
        assert len({"seed", "criterion", "document"} & set(origin)) == 1
        if "seed" in origin:
            assert ALL[code]["source_quotes"]


@pytest.mark.parametrize(
    "code",
    [
        "surgical_safety_2023.intraop_hypothermia",
        "surgical_safety_2023.class1_incision_antibiotic_prophylaxis",
        "surgical_safety_2023.day_surgery_share",
    ],
)
def test_formulas_from_outside_seed_003_name_their_document(code: str) -> None:
    provenance = ALL[code]["provenance"]
    assert "document" in provenance["numerator"] and "document" in provenance["denominator"]
    assert provenance["target"] == {"seed": "003"}  # "进一步降低/提高" is the seed's own


def test_the_hypothermia_threshold_is_attributed_to_its_outside_document() -> None:
    assert "核心体温低于36℃" in ALL["surgical_safety_2023.intraop_hypothermia"]["provenance"]["numerator"]["document"]


def test_the_paraplegia_rate_is_derived_from_criterion_4_2_4_4() -> None:
    # Seed 001: "2-4-4 椎管内麻醉神经并发症发生率 标准:0.02%(其中截瘫发生率应0.001%)" — no formula of its own.
    assert ALL["cq2011.paraplegia"]["provenance"]["target"] == {"criterion": "4.2-4-4"}


@pytest.mark.django_db
def test_one_short_line_says_it() -> None:
    assert provenance_line(Indicator.objects.get(code="cq2011.nerve_block_success")) == (
        "出处：分子、分母、目标引自 渝卫医〔2011〕273号"
    )
    line = provenance_line(Indicator.objects.get(code="surgical_safety_2023.day_surgery_share"))
    assert line.startswith("出处：分子、分母种子文件之外：《国家三级公立医院绩效考核操作手册》")
    assert line.endswith("；目标引自 滨海新区手术质量安全提升行动实施方案（2023—2025年）")
    assert (
        provenance_line(Indicator.objects.get(code="cq2011.paraplegia")) == "出处：分子、分母、目标由细则 4.2-4-4 推得"
    )


@pytest.mark.django_db
def test_the_indicator_page_shows_the_provenance(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.head_a)
    page = client.get(f"/hospitals/{cast.hospital_a.pk}/indicators/cq2011.paraplegia/dashboard/").content.decode()
    assert 'data-testid="provenance">出处：分子、分母、目标由细则 4.2-4-4 推得</dd>' in page


def bad_file(mutate: Any) -> dict[str, Any]:
    data = copy.deepcopy(DATA)
    mutate(data["sets"][0]["indicators"][0])
    return data


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mutate", "names"),
    [
        (lambda i: i.pop("provenance"), "indicators[0]（cq2011.nerve_block_success）.provenance"),
        (lambda i: i["provenance"].pop("target"), ".provenance.target: 必须注明出处"),
        (lambda i: i["provenance"].update(numerator={"seed": "009"}), ".provenance.numerator.seed"),
        (lambda i: i["provenance"].update(numerator={"criterion": "9.9-9"}), ".provenance.numerator.criterion"),
        (lambda i: i["provenance"].update(numerator={"document": " "}), ".provenance.numerator.document"),
        (lambda i: i["provenance"].update(numerator={"seed": "001", "document": "x"}), ".provenance.numerator:"),
        (lambda i: i["provenance"].update(formula={"seed": "001"}), ".provenance: 不认识的键 formula"),
        (lambda i: i.update(source_quotes=[]), ".provenance.numerator.seed: 引自种子文件须在 source_quotes"),
    ],
)
def test_an_indicator_with_a_bad_provenance_is_refused_naming_it(mutate: Any, names: str) -> None:
    before = list(Indicator.objects.values_list("code", "provenance"))
    with pytest.raises(definitions.IndicatorFileError) as exc:
        definitions.load(bad_file(mutate))
    assert any(names in e for e in exc.value.errors), exc.value.errors
    assert list(Indicator.objects.values_list("code", "provenance")) == before  # nothing half-saved


@pytest.mark.django_db
def test_a_database_loaded_before_provenance_gets_it_without_losing_edits() -> None:
    Indicator.objects.update(provenance={})
    Indicator.objects.filter(code="cq2011.nerve_block_success").update(min_denominator=50)
    definitions.ensure_builtin_indicators()
    block = Indicator.objects.get(code="cq2011.nerve_block_success")
    assert block.provenance == ALL["cq2011.nerve_block_success"]["provenance"]
    assert block.min_denominator == 50
    assert not Indicator.objects.filter(provenance={}).exists()


@pytest.mark.django_db
def test_the_pdf_prints_the_provenance_line(cast: Cast, settings: Any, tmp_path: Path) -> None:
    from indicators.services import period_values_set
    from reports import services as report_services
    from reports.models import ReportKind
    from scoring.models import AssessmentKind
    from tests.factories import AssessmentFactory
    from tests.reports.conftest import pdftotext

    settings.MEDIA_ROOT = tmp_path / "media"
    period_values_set(
        actor=cast.head_a,
        hospital=cast.hospital_a,
        indicator=Indicator.objects.get(code="cq2011.paraplegia"),
        year=2026,
        months={"1": {"numerator": 0, "denominator": 5000}},
    )
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF, year=2026)
    job = report_services.report_request(actor=cast.qc_admin, kind=ReportKind.ASSESSMENT, assessment=assessment)
    report_services.report_run(job_id=job.pk, worker="test")
    job.refresh_from_db()
    flat = "".join(pdftotext(Path(job.file.path)).split())
    assert "出处：分子、分母、目标由细则4.2-4-4推得" in flat
