from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from tracker import rules, services


def red_flag_banner(request: HttpRequest) -> dict[str, object]:
    """Give every page the urgent advice a signed-in patient asked for in the last day.

    The advice comes from the patient's stored assessment, so it shows on the very next page
    after the answer. The banner has no close button: it goes only when the advice window ends.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def banner() -> list[tuple[rules.Tier, list[rules.RedFlag]]]:
        codes = services.remembered_status(user, now=timezone.now()).assessment.advice
        # A pregnancy answer was only asked of someone pregnant, so it counts as given.
        tiers = rules.advice_tiers(codes, pregnant=True)
        return [(tier, flags) for tier, flags in tiers if tier >= rules.Tier.URGENT]

    # Read only if the page shows the banner: the advice page, which shows it all, does not.
    return {"red_flag_banner": SimpleLazyObject(banner)}
