"""The API's JSON renderer: DRF's JSON, written by orjson (issue 16).

Its own module: DRF imports the renderer classes its settings name while `rest_framework.views` loads, so this
module must not import DRF's views (common.api does).
"""

from typing import Any

import orjson
from drf_orjson_renderer.renderers import ORJSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_DRF_ENCODER = JSONEncoder()


class JSONRenderer(ORJSONRenderer):
    """DRF's JSON, written by orjson (several times faster on a result of 102 items), byte for byte the same.

    orjson writes str, int, bool, None, lists and dicts itself; everything else (Decimal, dates and times, lazy
    translations, UUIDs, querysets, dataclasses) goes to DRF's own encoder, so it comes out as it always did.
    """

    options = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

    @staticmethod
    def default(obj: Any) -> Any:
        return _DRF_ENCODER.default(obj)
