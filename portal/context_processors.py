from django.conf import settings
from django.http import HttpRequest

from education.models import Category


def portal(request: HttpRequest) -> dict[str, object]:
    """Give every page the emergency numbers and the article categories for the navigation."""
    return {
        "EMERGENCY_NUMBER": settings.PORTAL_EMERGENCY_NUMBER,
        "URGENT_NUMBER": settings.PORTAL_URGENT_NUMBER,
        "ARTICLE_CATEGORIES": Category.choices,
    }
