"""The Content-Security-Policy header, with framing decided in one place: X-Frame-Options."""

from csp.constants import SELF
from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest
from django.http.response import HttpResponseBase


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, whose frame-ancestors follows the response's X-Frame-Options.

    Pages may not be framed (`frame-ancestors 'none'`, X-Frame-Options DENY). A view that lets this
    site frame it (the evidence preview, `@xframe_options_sameorigin`) gets `frame-ancestors 'self'`,
    since browsers obey frame-ancestors over X-Frame-Options. Listed above XFrameOptionsMiddleware in
    MIDDLEWARE, so it sees the header that middleware sets.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if response.get("X-Frame-Options", "").upper() == "SAMEORIGIN":
            parts.replace = {**(parts.replace or {}), "frame-ancestors": [SELF]}
        return parts
