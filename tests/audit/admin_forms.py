"""Resubmitting an admin change form as a person would: the values the page shows, with some changed."""

import datetime
from typing import Any

from django.forms import BaseForm, MultiWidget


def _text(value: Any) -> str:
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _form_values(form: BaseForm) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        key = form.add_prefix(name)
        value = form[name].value()
        if isinstance(field.widget, MultiWidget):
            parts = value if isinstance(value, list | tuple) else field.widget.decompress(value)
            for index, part in enumerate(parts):
                if part not in (None, ""):
                    data[f"{key}_{index}"] = _text(part)
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [_text(v) for v in value]
        elif value is not None:
            data[key] = _text(value)
    return data


def change_form_data(response: Any, **changes: Any) -> dict[str, Any]:
    """POST data for the admin change (or add) page `response`, with `changes` applied to the main form."""
    data = _form_values(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        data.update(_form_values(formset.management_form))
        for form in formset.forms:
            data.update(_form_values(form))
    data.update({k: v for k, v in changes.items() if v is not None})
    for key in [k for k, v in changes.items() if v is None]:
        data.pop(key, None)  # None: untick a checkbox or clear a field
    return data
