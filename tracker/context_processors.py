import datetime

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from tracker import rules
from tracker.models import RedFlagAnswer

BANNER_HOURS = 24


def recent_red_flag_codes(user: object) -> list[str]:
    """Return the red flags the person answered yes to in the last BANNER_HOURS."""
    since = timezone.now() - datetime.timedelta(hours=BANNER_HOURS)
    return list(
        RedFlagAnswer.objects.filter(patient=user, answered_at__gte=since)
        .order_by()
        .values_list("code", flat=True)
        .distinct()
    )


def red_flag_banner(request: HttpRequest) -> dict[str, object]:
    """Give every page the urgent advice a signed-in patient asked for in the last day.

    The banner has no close button: it goes only when its 24 hours are over.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def banner() -> list[tuple[rules.Tier, list[rules.RedFlag]]]:
        # A pregnancy answer was only asked of someone pregnant, so it counts as given.
        tiers = rules.advice_tiers(recent_red_flag_codes(user), pregnant=True)
        return [(tier, flags) for tier, flags in tiers if tier >= rules.Tier.URGENT]

    # Read only if the page shows the banner: the advice page, which shows it all, does not.
    return {"red_flag_banner": SimpleLazyObject(banner)}
