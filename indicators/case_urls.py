"""URLs of case-file import: `urlpatterns` for the browser page, `api_urlpatterns` for /api/v1/."""

from .case_views import api_urlpatterns, urlpatterns

__all__ = ["api_urlpatterns", "urlpatterns"]
