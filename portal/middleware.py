"""The portal's own middleware."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase


class PortalCSPMiddleware(CSPMiddleware):
    """django-csp with one exception: Django's admin.

    The site's policy allows no inline script or style anywhere. The admin's own JavaScript adds
    <style> elements while it runs (its widgets), so admin pages alone may apply inline styles.
    Inline scripts stay forbidden there too.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.app_name == "admin" and parts.update is None:
            parts.update = {"style-src": [SELF, UNSAFE_INLINE]}
        return parts
