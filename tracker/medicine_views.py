"""The patient's medicine log: list, add, change, delete. Every query is scoped to request.user,
so another person's dose is a 404."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker import medicines
from tracker.medicine_forms import MedicineDoseForm
from tracker.models import MedicineDose
from tracker.views import _once_within_limit, patient_page

DOSES_PAGE_SIZE = 20


@patient_page
def medicine_list(request: HttpRequest) -> HttpResponse:
    """List the patient's doses, newest first."""
    doses = MedicineDose.objects.filter(patient=request.user).order_by("-taken_at", "-id")
    page = Paginator(doses, DOSES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tracker/medicines/medicine_list.html", {"page": page})


def _form_page(
    request: HttpRequest, form: MedicineDoseForm, dose: MedicineDose | None
) -> HttpResponse:
    return render(
        request,
        "tracker/medicines/medicine_form.html",
        {
            "form": form,
            "dose": dose,
            "suggestions": medicines.name_suggestions(request.user),
        },
    )


@patient_page
def medicine_add(request: HttpRequest) -> HttpResponse:
    """Log a dose on one short screen; a repeated post of the same form stores nothing more."""
    form = MedicineDoseForm(request.POST or None, zone=request.user.zone)
    if request.method == "POST" and form.is_valid():

        def write() -> str:
            medicines.add_medicine_dose(
                patient=request.user, data=form.dose_input(), now=timezone.now()
            )
            return reverse("tracker:medicine_list")

        done = _once_within_limit(request, form, write)
        if done is not None:
            redirect_to, created = done
            if created:
                messages.success(
                    request, _("Saved: %(name)s.") % {"name": form.cleaned_data["name"]}
                )
            return redirect(redirect_to)
    return _form_page(request, form, None)


@patient_page
def medicine_edit(request: HttpRequest, pk: int) -> HttpResponse:
    dose = get_object_or_404(MedicineDose, pk=pk, patient=request.user)
    dose.patient = request.user
    form = MedicineDoseForm(request.POST or None, instance=dose, zone=medicines.zone_of(dose))
    if request.method == "POST" and form.is_valid():
        medicines.change_medicine_dose(dose=dose, data=form.dose_input(), now=timezone.now())
        messages.success(request, _("Your changes are saved."))
        return redirect("tracker:medicine_list")
    return _form_page(request, form, dose)


@patient_page
def medicine_delete(request: HttpRequest, pk: int) -> HttpResponse:
    dose = get_object_or_404(MedicineDose, pk=pk, patient=request.user)
    if request.method == "POST":
        dose.patient = request.user
        medicines.delete_medicine_dose(dose=dose, now=timezone.now())
        messages.success(request, _("The dose is deleted."))
        return redirect("tracker:medicine_list")
    return render(request, "tracker/medicines/medicine_confirm_delete.html", {"dose": dose})
