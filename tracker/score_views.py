"""The weekly function score page: this week's three questions, answered or changed."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker import dates, scores, services
from tracker.forms import FunctionScoreForm
from tracker.models import FunctionScore
from tracker.views import local_today, patient_page

MESSAGES = {
    scores.Outcome.SAVED: _("Thank you. This week's answers are saved: your score is %(score)s."),
    scores.Outcome.UPDATED: _(
        "This week's answers are changed: your score is now %(score)s. Only the latest answers "
        "for a week are kept."
    ),
    scores.Outcome.UNCHANGED: _(
        "These are the answers you already gave this week; nothing changed."
    ),
}


@patient_page
def function_score(request: HttpRequest) -> HttpResponse:
    """Ask the week's three questions; a second answer in the same week changes the first.

    A form sent twice (double tap, resend) is acted on once: its submission key is stored with
    the write (services.once).
    """
    today = local_today(request)
    earlier = scores.this_weeks(patient=request.user, today=today)
    initial = {name: getattr(earlier, name) for name in scores.ITEMS} if earlier is not None else {}
    form = FunctionScoreForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        written: list[tuple[FunctionScore, scores.Outcome]] = []

        def write() -> str:
            written.append(
                scores.record_function_score(
                    patient=request.user,
                    pain=form.cleaned_data["pain"],
                    enjoyment=form.cleaned_data["enjoyment"],
                    activity=form.cleaned_data["activity"],
                    now=timezone.now(),
                )
            )
            return reverse("tracker:dashboard")

        redirect_to, created = services.once(
            patient=request.user, key=form.cleaned_data["submission_key"], write=write
        )
        if created:
            score, outcome = written[-1]
            messages.success(request, MESSAGES[outcome] % {"score": score.score})
        return redirect(redirect_to)
    return render(
        request,
        "tracker/scores/function_score_form.html",
        {"form": form, "earlier": earlier, "week": dates.week_start(today)},
    )
