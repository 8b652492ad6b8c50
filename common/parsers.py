"""Request parsing. Kept apart from common.api: DRF's settings import it while DRF's views load."""

import json
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser


class DecimalJSONParser(JSONParser):
    """JSON parser that reads numbers with a fraction as Decimal, so no float reaches scoring."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", "utf-8")
        try:
            return json.loads(stream.read().decode(encoding), parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(_("JSON 格式错误：%(error)s") % {"error": exc}) from exc
        except RecursionError as exc:  # [[[[…]]]] nested deeper than the interpreter's stack
            raise exceptions.ParseError(_("JSON 格式错误：嵌套层次过深。")) from exc
