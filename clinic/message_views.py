"""Messages from clinicians: the clinician sends from the patient view, the patient reads them
on their dashboard (clinic.context_processors) and on their messages page."""

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from clinic import messaging, views
from clinic.access import audit, clinician_page, shared_patient_or_404
from clinic.forms import MessageForm
from clinic.models import AuditEvent, ClinicianMessage


@clinician_page
@require_POST
def message_send(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Send a patient who shares with this clinician a short message; a double tap sends one."""
    patient = shared_patient_or_404(clinician=request.user, patient_id=patient_id)
    if not ratelimit.consume(request, action="clinician_message", user=request.user):
        return ratelimit.respond_429(request)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            message, created = messaging.send_message(
                clinician=request.user,
                patient=patient,
                text=form.cleaned_data["text"],
                key=form.cleaned_data["key"],
                now=timezone.now(),
            )
        except messaging.KeyReused:
            # A replayed or forged form: nothing sent; a fresh key, and the text kept.
            form = MessageForm(initial={"text": form.cleaned_data["text"]})
            messages.error(request, _("This form was already used. Please send it again."))
        else:
            if created:
                # The trail says a message was sent, not what it said.
                audit(
                    request=request,
                    patient=patient,
                    action=AuditEvent.Action.MESSAGE,
                    detail=f"message {message.pk}",
                )
                messages.success(request, _("Message sent. The patient gets an e-mail notice."))
            else:
                messages.info(request, _("That message was already sent."))
            return redirect("clinic:patient_detail", patient_id=patient.pk)
    # Errors next to the field, with everything typed kept.
    return views.patient_detail(request, patient_id=patient.pk, message_form=form)


@login_required
@never_cache
def message_list(request: HttpRequest) -> HttpResponse:
    """List every message the patient's clinicians sent them, newest first."""
    page = Paginator(messaging.messages_for(request.user), messaging.MESSAGES_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "clinic/messages/list.html", {"page": page})


@login_required
@require_POST
def message_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of the patient's messages as read (another's is left alone); back to where the
    patient was."""
    message = get_object_or_404(ClinicianMessage, pk=pk, patient=request.user)
    messaging.mark_read(patient=request.user, ids=[message.pk], now=timezone.now())
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = ""
    return redirect(back or "clinic:messages")
