"""One object of every kind for hospital A and for hospital B, so every URL has an own and a foreign target.

Built through the services, as the app builds them, on top of the fixed cast (tests/conftest.py).
Years keep the assessments of one hospital apart (one per hospital, standard, kind and year):
2026 drafts, 2025 submitted or finalized, 2024 the round's own, 2023 a submitted inspection.
Submitted assessments have every criterion rated, so finalizing them succeeds.
"""

import datetime
import hashlib
import io
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Hospital, InspectorAssignment, Role, User
from departments.models import DepartmentProfile, ProfileDocument
from departments.services import profile_document_upload, profile_save
from evidence.models import Evidence
from evidence.services import evidence_upload
from indicators.cases import case_import
from indicators.models import CaseImport, Indicator
from rectification.models import RectificationEvidence, RectificationItem
from rectification.services import rectification_answer, rectification_plan_create
from reports.models import JobStatus, ReportJob, ReportKind
from rounds.models import InspectionRound, RoundHospital
from rounds.services import round_add_hospital, round_assign_inspector, round_create
from scoring.models import Assessment, AssessmentKind, Criterion, Standard
from scoring.services import assessment_submit
from tests.accounts.factories import AssignmentFactory, UserFactory
from tests.conftest import Cast
from tests.evidence.conftest import PDF_BYTES as PDF  # a real PDF: uploads are read by qpdf
from tests.reports.factories import ReportJobFactory
from tests.scoring.factories import AssessmentFactory, RatingFactory, rate_all
from workspace.services import assessment_finalize

A, B = "A", "B"
CRITERION = "1.1-1-1"  # applies to every hospital
YEAR = 2026


def pdf(name: str = "制度.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def criterion(code: str = CRITERION) -> Criterion:
    return Criterion.objects.get(standard__code="cq2011", code=code)


@dataclass
class Objects:
    """Everything of one hospital that a URL can name."""

    hospital: Hospital
    self_draft: Assessment
    self_submitted: Assessment
    inspection_draft: Assessment
    inspection_final: Assessment
    inspection_submitted: Assessment
    evidence_draft: Evidence
    evidence_submitted: Evidence
    inspection_evidence_draft: Evidence  # the inspectors' own file on the draft inspection (issue 13)
    inspection_evidence_submitted: Evidence  # and on the submitted one
    item: RectificationItem
    item_evidence: RectificationEvidence
    round: InspectionRound
    entry: RoundHospital
    profile: DepartmentProfile
    document: ProfileDocument
    report: ReportJob
    assignment: InspectorAssignment
    case_import: CaseImport
    # The round's entry, led by another inspector of the hospital: the cast's inspector is off its team.
    team_self: Assessment  # submitted, with a file
    team_evidence: Evidence
    team_inspection: Assessment  # draft, every criterion rated


@dataclass
class World:
    cast: Cast
    of: dict[str, Objects] = field(default_factory=dict)
    round_report: ReportJob | None = None
    indicator: Indicator | None = None
    newcomer: User | None = None  # an inspector with no assignment, for the assignment API to assign

    def __getitem__(self, target: str) -> Objects:
        return self.of[target]


def _build(cast: Cast, target: str) -> Objects:
    hospital = cast.hospital_a if target == A else cast.hospital_b
    head = cast.head_a if target == A else cast.head_b
    qc = cast.qc_admin

    self_draft = AssessmentFactory.create(hospital=hospital, kind=AssessmentKind.SELF, year=YEAR)
    [evidence_draft] = evidence_upload(actor=head, assessment=self_draft, criterion=criterion(), files=[pdf()])

    self_submitted = AssessmentFactory.create(hospital=hospital, kind=AssessmentKind.SELF, year=YEAR - 1)
    [evidence_submitted] = evidence_upload(actor=head, assessment=self_submitted, criterion=criterion(), files=[pdf()])
    RatingFactory(assessment=self_submitted, criterion=criterion())
    rate_all(self_submitted)
    self_submitted = assessment_submit(actor=head, assessment=self_submitted)

    inspection_draft = AssessmentFactory.create(hospital=hospital, kind=AssessmentKind.INSPECTION, year=YEAR)
    [inspection_evidence_draft] = evidence_upload(
        actor=qc, assessment=inspection_draft, criterion=criterion(), files=[pdf("现场.pdf")]
    )
    inspection_final = AssessmentFactory.create(hospital=hospital, kind=AssessmentKind.INSPECTION, year=YEAR - 1)
    RatingFactory(assessment=inspection_final, criterion=criterion("1.2-1-1"), rating="unmet")
    rate_all(inspection_final)
    inspection_final = assessment_finalize(
        actor=qc, assessment=assessment_submit(actor=qc, assessment=inspection_final)
    )
    inspection_submitted = AssessmentFactory.create(hospital=hospital, kind=AssessmentKind.INSPECTION, year=YEAR - 3)
    [inspection_evidence_submitted] = evidence_upload(
        actor=qc, assessment=inspection_submitted, criterion=criterion(), files=[pdf("现场.pdf")]
    )
    rate_all(inspection_submitted)
    inspection_submitted = assessment_submit(actor=qc, assessment=inspection_submitted)
    items = list(RectificationItem.objects.filter(assessment=inspection_final)) or rectification_plan_create(
        actor=qc, assessment=inspection_final
    )
    item = rectification_answer(actor=head, item=items[0], answer="已整改", files=[pdf("整改.pdf")])

    rnd = round_create(
        actor=qc,
        name=f"{hospital.name}检查轮次",
        year=YEAR - 2,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=datetime.date(2024, 8, 31),
        inspection_start=datetime.date(2024, 9, 1),
        inspection_end=datetime.date(2024, 9, 30),
    )
    entry = round_add_hospital(actor=qc, rnd=rnd, hospital=hospital)
    lead = UserFactory(username=f"lead_{target.lower()}", role=Role.INSPECTOR, hospital=None)
    AssignmentFactory.create(inspector=lead, hospital=hospital)
    round_assign_inspector(actor=qc, entry=entry, inspector=lead, is_lead=True)
    [team_evidence] = evidence_upload(
        actor=head, assessment=entry.self_assessment, criterion=criterion(), files=[pdf("团队.pdf")]
    )
    rate_all(entry.self_assessment)
    team_self = assessment_submit(actor=head, assessment=entry.self_assessment)
    team_inspection = entry.inspection
    rate_all(team_inspection)

    profile = profile_save(actor=head, hospital=hospital, year=YEAR, data={"or_tables": 10})
    [document] = profile_document_upload(actor=head, profile=profile, fact_name="monitors", files=[pdf("设备.pdf")])

    report = ReportJobFactory(assessment=self_draft, requested_by=head)
    _finish(report)

    cases = io.BytesIO(f"case_id,date,anesthesia_type\n{target}1,{YEAR}-03-01,general\n".encode())
    imported = case_import(actor=head, hospital=hospital, file=cases, name="cases.csv")

    if target == A:
        assignment = InspectorAssignment.objects.get(inspector=cast.inspector, hospital=hospital)
    else:  # another inspector's, so the cast's inspector has nothing of B
        assignment = AssignmentFactory.create(hospital=hospital)

    return Objects(
        hospital=hospital,
        self_draft=self_draft,
        self_submitted=self_submitted,
        inspection_draft=inspection_draft,
        inspection_final=inspection_final,
        inspection_submitted=inspection_submitted,
        evidence_draft=evidence_draft,
        evidence_submitted=evidence_submitted,
        inspection_evidence_draft=inspection_evidence_draft,
        inspection_evidence_submitted=inspection_evidence_submitted,
        item=item,
        item_evidence=item.evidence.get(),
        round=rnd,
        entry=entry,
        profile=profile,
        document=document,
        report=report,
        assignment=assignment,
        case_import=imported,
        team_self=team_self,
        team_evidence=team_evidence,
        team_inspection=team_inspection,
    )


def _finish(job: ReportJob) -> None:
    """A finished report with a file, as a worker leaves it (no PDF is rendered here)."""
    job.file.save(f"report-{job.pk}.pdf", ContentFile(PDF), save=False)
    job.status = JobStatus.DONE
    job.progress = 100
    job.size = len(PDF)
    job.sha256 = job.content_sha256 = hashlib.sha256(PDF).hexdigest()
    job.save()


def build_world(cast: Cast) -> World:
    world = World(
        cast=cast,
        indicator=Indicator.objects.order_by("pk").first(),
        newcomer=UserFactory(username="inspector_new", role=Role.INSPECTOR, hospital=None),
    )
    for target in (A, B):
        world.of[target] = _build(cast, target)
    world.round_report = ReportJobFactory(
        kind=ReportKind.ROUND_SUMMARY, round=world[A].round, requested_by=cast.qc_admin
    )
    _finish(world.round_report)
    return world
