"""Handing permitted media downloads to nginx (X-Accel-Redirect), when the deployment asks for it.

Uploaded files have no public URL: every download goes through a view that checks who may see
the file and answers with a `FileResponse` (`common.files.serve_stored_file`, the report
downloads). By default Django streams the file itself. With MEDIA_X_ACCEL_REDIRECT_PREFIX set
(e.g. `/protected-media/`), the response leaves Django empty, carrying the same headers and
`X-Accel-Redirect: /protected-media/<path>`; nginx then sends the file from an `internal`
location aliased to MEDIA_ROOT, which no client can request directly (deploy/nginx/anesqc.conf).
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase


def media_relative_path(filelike: Any) -> str | None:
    """The path of an open media file relative to MEDIA_ROOT, or None if it is not a file there.

    A FieldFile knows its storage and name; a plain file knows its absolute path. Anything else
    (an object-store file, a file outside MEDIA_ROOT, an in-memory buffer) is not for nginx.
    """
    storage = getattr(filelike, "storage", None)
    name = getattr(filelike, "name", None)
    if not isinstance(name, str) or not name:
        return None
    if storage is not None:
        if not isinstance(storage, FileSystemStorage):
            return None
        path = Path(storage.path(name))
    else:
        path = Path(name)
        if not path.is_absolute():
            return None
    root = Path(settings.MEDIA_ROOT).resolve()
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None


class XAccelRedirectMiddleware:
    """Turn a FileResponse of a file under MEDIA_ROOT into an X-Accel-Redirect, if configured."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        prefix = settings.MEDIA_X_ACCEL_REDIRECT_PREFIX
        if not prefix or not isinstance(response, FileResponse) or response.status_code != 200:
            return response
        relative = media_relative_path(getattr(response, "file_to_stream", None))
        if relative is None:
            return response
        accel = HttpResponse(status=response.status_code)
        for header, value in response.items():
            if header.lower() != "content-length":
                accel[header] = value
        accel.cookies = response.cookies
        accel["X-Accel-Redirect"] = prefix + quote(relative)
        response.close()
        return accel
