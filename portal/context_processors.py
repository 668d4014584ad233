from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.roles import is_clinician
from education.models import Category


def portal(request: HttpRequest) -> dict[str, object]:
    """Give every page the emergency numbers and the article categories for the navigation."""
    return {
        "EMERGENCY_NUMBER": settings.PORTAL_EMERGENCY_NUMBER,
        "URGENT_NUMBER": settings.PORTAL_URGENT_NUMBER,
        "ARTICLE_CATEGORIES": Category.choices,
        # Asked only when a page's navigation needs it.
        "IS_CLINICIAN": SimpleLazyObject(lambda: is_clinician(request.user)),
    }
