import datetime
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from tracker import rules, services
from tracker.assessment import ADVICE_HOURS
from tracker.models import RedFlagAnswer


@dataclass(frozen=True)
class Banner:
    """The urgent advice a page shows at its top: in full, or as one line once it was seen.

    tiers: the tiers that need care today or sooner, most pressing first, with their answers;
    full: some answer in the advice window has not had its advice page shown yet.
    """

    tiers: list[tuple[rules.Tier, list[rules.RedFlag]]]
    full: bool

    def __bool__(self) -> bool:
        return bool(self.tiers)

    @property
    def highest(self) -> rules.Tier:
        return self.tiers[0][0]


def red_flag_banner(request: HttpRequest) -> dict[str, object]:
    """Give every page the urgent advice a signed-in patient asked for in the last day.

    The advice comes from the patient's stored assessment, so it shows on the very next page
    after the answer. The banner has no close button: it goes only when the advice window ends.
    Until the patient has seen the advice page (tracker:advice records when it was shown) it is
    shown in full; after that, as one line with the number to call and a link back to it.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def banner() -> Banner:
        now = timezone.now()
        codes = services.remembered_status(user, now=now).assessment.advice
        # A pregnancy answer was only asked of someone pregnant, so it counts as given.
        tiers = rules.advice_tiers(codes, pregnant=True)
        tiers = [(tier, flags) for tier, flags in tiers if tier >= rules.Tier.URGENT]
        if not tiers:
            return Banner(tiers=[], full=False)
        # One query, and only when there is advice to show.
        unseen = RedFlagAnswer.objects.filter(
            patient=user,
            code__in=[flag.code for _, flags in tiers for flag in flags],
            answered_at__gt=now - datetime.timedelta(hours=ADVICE_HOURS),
            advice_shown_at__isnull=True,
        ).exists()
        return Banner(tiers=tiers, full=unseen)

    # Read only if the page shows the banner: the advice page, which shows it all, does not.
    return {"red_flag_banner": SimpleLazyObject(banner)}
