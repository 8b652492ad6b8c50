"""manage.py seed_demo: demo hospitals and one user per role, for `make run`. Safe to run again."""

import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import Hospital, InspectorAssignment, Level, Role, User
from departments.models import DepartmentProfile
from rounds.models import InspectionRound
from rounds.services import round_add_hospital, round_assign_inspector, round_create
from scoring.models import Assessment, AssessmentKind, Standard

HOSPITALS = [
    # name, level, key_specialty, teaching, district
    ("重庆医科大学附属示范医院", Level.L3A, True, True, "渝中区"),
    ("重庆市示范区人民医院", Level.L3B, False, False, "沙坪坝区"),
    ("重庆市示范县人民医院", Level.L2A, False, False, "万州区"),
]

# Local demo passwords only: printed on purpose so a first-time user can sign in.
USERS = [
    # username, password, role, hospital index or None, display name
    ("qcadmin", "demo-qcadmin-2011", Role.QC_ADMIN, None, "质控中心管理员"),
    ("inspector", "demo-inspector-2011", Role.INSPECTOR, None, "质控专家"),
    ("head", "demo-head-2011", Role.DEPARTMENT_HEAD, 0, "科主任"),
    ("staff", "demo-staff-2011", Role.DEPARTMENT_STAFF, 0, "科室人员"),
    ("head2", "demo-head2-2011", Role.DEPARTMENT_HEAD, 1, "科主任（二院）"),
]


ROUND_NAME = "2026 年度麻醉质控检查（演示）"


class Command(BaseCommand):
    help = (
        "Create demo hospitals, one user per role and a draft self-assessment; print the demo logins. "
        "Refused unless DEBUG is true or --force-demo is given: it sets published passwords."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force-demo",
            action="store_true",
            help="seed even though DEBUG is false (never on a production database: it resets qcadmin's password)",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force_demo"]:
            raise CommandError(
                "seed_demo sets the published demo passwords (qcadmin among them) and is for local demos only; "
                "DEBUG is false here. Run it with DEBUG=true, or pass --force-demo if this really is a demo database."
            )
        hospitals = []
        for name, level, key, teaching, district in HOSPITALS:
            hospital, _ = Hospital.objects.update_or_create(
                name=name,
                defaults={"level": level, "key_specialty": key, "teaching": teaching, "district": district},
            )
            hospitals.append(hospital)
        for username, password, role, hospital_index, full_name in USERS:
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={
                    "role": role,
                    "hospital": hospitals[hospital_index] if hospital_index is not None else None,
                    "first_name": full_name,
                    # A reserved domain: under `make run` notification mails go to the console (the worker's log).
                    "email": f"{username}@demo.invalid",
                    "is_staff": role == Role.QC_ADMIN,
                },
            )
            user.set_password(password)
            user.save()
            if role == Role.INSPECTOR:
                for hospital in hospitals[:2]:
                    InspectorAssignment.objects.get_or_create(inspector=user, hospital=hospital)
        standard = Standard.objects.get(code="cq2011")
        Assessment.objects.get_or_create(hospital=hospitals[0], standard=standard, kind=AssessmentKind.SELF, year=2026)
        self._seed_round(standard, hospitals)
        self._seed_profiles(hospitals)

        self.stdout.write(self.style.SUCCESS("演示数据已就绪（demo data ready）："))
        self.stdout.write(f"  检查轮次：{ROUND_NAME}（质控专家 inspector 为前两家医院的检查组组长）")
        for hospital in hospitals:
            flags = "，重点专科" if hospital.key_specialty else ""
            self.stdout.write(f"  医院 #{hospital.pk} {hospital.name}（{hospital.get_level_display()}{flags}）")
        self.stdout.write("演示账号（仅限本地演示 / local demo only）：")
        for username, password, role, hospital_index, _ in USERS:
            where = f" @ {hospitals[hospital_index].name}" if hospital_index is not None else ""
            self.stdout.write(f"  {username:<10} {password:<22} {role}{where}")

    def _seed_profiles(self, hospitals: list[Hospital]) -> None:
        """2026 profiles of the first two hospitals, with a few shortfalls to show (kept if already entered)."""
        demo = {
            "or_tables": 20, "non_or_tables": 4, "surgical_beds": 1200, "operations_per_year": 24000,
            "rr_beds": 6, "aicu_beds": 8, "pain_clinic_area": 60, "pain_ward_beds": 6, "pain_ward_area_per_bed": 5,
            "clinical_staff": 46, "rr_doctors": 2, "rr_nurses": 3, "aicu_doctors": 5, "aicu_nurses": 24,
            "pain_clinic_doctors": 2, "pain_clinic_nurses": 2, "pain_ward_doctors": 2, "pain_ward_nurses": 3,
            "doctors_total": 40, "doctors_bachelor": 40, "director_title": "chief", "director_certified": True,
            "monitors": 20, "anesthesia_machines": 20, "petco2_monitors": 16, "defibrillators": 2, "rr_monitors": 6,
            "rr_ventilators": 2, "invasive_bp_monitors": 10, "hemodynamic_monitors": 1, "respiratory_monitors": 2,
            "blood_salvage_machines": 1, "crrt_machines": 1, "fibreoptic_scopes": 2, "tee_machines": 1,
            "airway_device_types": 3, "general_anesthetics": 14000, "regional_anesthetics": 6000,
        }  # fmt: skip
        for hospital in hospitals[:2]:
            DepartmentProfile.objects.get_or_create(hospital=hospital, year=2026, defaults=demo)

    def _seed_round(self, standard: Standard, hospitals: list[Hospital]) -> None:
        """A demo round over the first two hospitals, built through the same services the UI uses."""
        admin = User.objects.get(username="qcadmin")
        inspector = User.objects.get(username="inspector")
        rnd = InspectionRound.objects.filter(name=ROUND_NAME, year=2026).first() or round_create(
            actor=admin,
            name=ROUND_NAME,
            year=2026,
            standard=standard,
            self_assessment_deadline=datetime.date(2026, 5, 31),
            inspection_start=datetime.date(2026, 6, 1),
            inspection_end=datetime.date(2026, 6, 30),
        )
        for hospital in hospitals[:2]:
            entry = rnd.entries.filter(hospital=hospital).first() or round_add_hospital(
                actor=admin, rnd=rnd, hospital=hospital
            )
            round_assign_inspector(actor=admin, entry=entry, inspector=inspector, is_lead=True)
