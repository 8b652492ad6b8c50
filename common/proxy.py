"""The client's address behind the reverse proxies the deployment says it has (TRUSTED_PROXY_COUNT)."""

from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from, as far as it can be trusted.

    With no proxy configured, the connection's own address (REMOTE_ADDR). Behind N proxies that each
    append the address they received from to X-Forwarded-For, the N-th entry from the right: entries
    further left were written by the client and prove nothing. Anything that is not an IP address
    falls back to REMOTE_ADDR, so a forged header can neither crash the login nor choose the lockout key.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ip_address(candidate))
    except ValueError:
        return remote
