"""manage.py generate_cases --hospital-id N --rows R --out FILE: a realistic sample case export of any size."""

import csv
import datetime
import random
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from indicators.cases import BOOL_FIELDS, HEADER_LABELS
from indicators.models import AnesthesiaType

# Rough shares of a Chinese general hospital's anaesthesia workload.
TYPES = [
    (AnesthesiaType.GENERAL, 0.64),
    (AnesthesiaType.SPINAL, 0.07),
    (AnesthesiaType.EPIDURAL, 0.07),
    (AnesthesiaType.COMBINED, 0.09),
    (AnesthesiaType.NERVE_BLOCK, 0.08),
    (AnesthesiaType.NEURAXIAL, 0.02),
    (AnesthesiaType.OTHER, 0.03),
]
ASA = [(1, 0.28), (2, 0.46), (3, 0.19), (4, 0.05), (5, 0.01), (6, 0.002), (None, 0.008)]
NEURAXIAL = {AnesthesiaType.SPINAL, AnesthesiaType.EPIDURAL, AnesthesiaType.COMBINED, AnesthesiaType.NEURAXIAL}
CHINESE_TYPES = {
    AnesthesiaType.GENERAL: "全身麻醉",
    AnesthesiaType.NEURAXIAL: "椎管内麻醉",
    AnesthesiaType.EPIDURAL: "硬膜外麻醉",
    AnesthesiaType.SPINAL: "腰麻",
    AnesthesiaType.COMBINED: "腰硬联合",
    AnesthesiaType.NERVE_BLOCK: "神经阻滞",
    AnesthesiaType.OTHER: "其他",
}


def generate_rows(*, rows: int, seed: int, year: int, hospital_id: int) -> Any:
    """Yield (case_id, date, type, asa, {flag: bool}) for `rows` cases spread over `year`."""
    rnd = random.Random(seed)  # noqa: S311 - sample data, reproducible by seed
    r = rnd.random
    types = rnd.choices([t for t, _ in TYPES], [w for _, w in TYPES], k=rows)
    asas = rnd.choices([a for a, _ in ASA], [w for _, w in ASA], k=rows)
    start = datetime.date(year, 1, 1)
    days = (datetime.date(year + 1, 1, 1) - start).days
    for i in range(rows):
        kind = types[i]
        neuraxial = kind in NEURAXIAL
        block = neuraxial or kind == AnesthesiaType.NERVE_BLOCK
        flags = dict.fromkeys(BOOL_FIELDS, False)
        flags["emergency"] = r() < 0.15
        flags["block_failed"] = block and r() < 0.035
        flags["anesthesia_death"] = r() < 0.00005
        flags["post_spinal_headache"] = kind in (AnesthesiaType.SPINAL, AnesthesiaType.COMBINED) and r() < 0.02
        flags["invasive_anesthesia_procedure"] = block
        flags["invasive_anesthesia_infection"] = block and r() < 0.001
        flags["invasive_monitoring_procedure"] = r() < (0.3 if kind == AnesthesiaType.GENERAL else 0.05)
        flags["invasive_monitoring_infection"] = flags["invasive_monitoring_procedure"] and r() < 0.002
        epidural = kind in (AnesthesiaType.EPIDURAL, AnesthesiaType.COMBINED)
        flags["dural_puncture"] = epidural and r() < 0.01
        flags["epidural_vessel_injury"] = epidural and r() < 0.02
        flags["paraplegia"] = neuraxial and r() < 0.00005
        flags["neuro_complication"] = flags["paraplegia"] or (neuraxial and r() < 0.001)
        if epidural and r() < 0.2:
            flags["labor_analgesia"] = True
            converted = r() < 0.1
            flags["trial_of_labor_converted_to_caesarean"] = converted
            flags["vaginal_delivery"] = not converted
        flags["unplanned_return_to_or"] = r() < 0.005
        flags["hypothermia"] = kind == AnesthesiaType.GENERAL and r() < 0.03
        date = start + datetime.timedelta(days=int(r() * days))
        yield f"H{hospital_id}-{year}-{i + 1:08d}", date, kind, asas[i], flags


class Command(BaseCommand):
    help = "Write a realistic sample case file (CSV or XLSX, the import format) with any number of rows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hospital-id", type=int, required=True, help="Only used to make case ids distinct.")
        parser.add_argument("--rows", type=int, required=True)
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--format", choices=["csv", "xlsx"], default=None, help="Default: from --out's suffix.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--year", type=int, default=datetime.date.today().year)
        parser.add_argument("--chinese", action="store_true", help="Chinese headers, types and 是/否.")

    def handle(self, *args: Any, **o: Any) -> None:
        if o["rows"] < 0:
            raise CommandError("--rows must not be negative")
        fmt = o["format"] or ("xlsx" if o["out"].suffix.lower() == ".xlsx" else "csv")
        zh = o["chinese"]
        columns = ["case_id", "date", "anesthesia_type", "asa", *BOOL_FIELDS]
        header = [HEADER_LABELS[c] for c in columns] if zh else columns
        yes, no = ("是", "否") if zh else ("1", "0")

        def line(case: Any) -> list[Any]:
            case_id, date, kind, asa, flags = case
            return [
                case_id,
                date.isoformat(),
                CHINESE_TYPES[kind] if zh else kind.value,
                "" if asa is None else asa,
                *(yes if flags[f] else no for f in BOOL_FIELDS),
            ]

        cases = generate_rows(rows=o["rows"], seed=o["seed"], year=o["year"], hospital_id=o["hospital_id"])
        if fmt == "xlsx":
            from openpyxl import Workbook

            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet("cases")
            sheet.append(header)
            for case in cases:
                sheet.append(line(case))
            workbook.save(o["out"])
        else:
            with open(o["out"], "w", encoding="utf-8", newline="") as f:
                writer = csv.writer(f, lineterminator="\n")
                writer.writerow(header)
                writer.writerows(line(case) for case in cases)
        self.stdout.write(f"{o['rows']} cases written to {o['out']} ({fmt}).")
