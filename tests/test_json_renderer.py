"""The API's JSON comes out of orjson byte for byte as DRF's own renderer wrote it (common/renderers.py)."""

import datetime
import uuid
from decimal import Decimal

from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

from common.renderers import JSONRenderer

SAMPLE = {
    "total": "987.5",
    "raw_decimal": Decimal("7.50"),
    "rated": 102,
    "ok": True,
    "none": None,
    "name": "甲医院 “达标”\n第二行 \\ / <script>",
    "lazy": gettext_lazy("达标"),
    "when": datetime.datetime(2026, 11, 22, 9, 30, 15, 123456, tzinfo=datetime.UTC),
    "day": datetime.date(2026, 11, 22),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "nested": [{"code": "3.1-3", "score": "7.5"}, [1, 2.5, -3]],
    7: "a number key",
}


def test_orjson_writes_what_drf_wrote() -> None:
    assert JSONRenderer().render(SAMPLE) == DRFJSONRenderer().render(SAMPLE)
    assert JSONRenderer().render(None) == DRFJSONRenderer().render(None) == b""
