"""How django-allauth fits the portal: where each role lands, and what a sign-up saves."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core import ratelimit
from allauth.core.exceptions import ImmediateHttpResponse
from django.contrib.auth.models import AnonymousUser
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import is_clinician
from notifications import services as notifications
from notifications.models import Delivery


def landing_url(user: User | AnonymousUser) -> str:
    """Name the page a person starts from after logging in: their own work, not the home page.

    A clinician starts at their queue (even one who is also staff), other staff (content
    editors, administrators) at the admin, and a patient at their tracker.
    """
    if is_clinician(user):
        return reverse("clinic:queue")
    if user.is_staff:
        return reverse("admin:index")
    return reverse("tracker:dashboard")


class PortalAccountAdapter(DefaultAccountAdapter):
    """Land each role on its own page (a safe ?next= still wins), and save what sign-up asks."""

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return landing_url(request.user)

    def pre_authenticate(self, request: HttpRequest, **credentials: object) -> None:
        """Answer a locked account (too many wrong passwords) with the plain 429 page, as every
        other limit is answered, rather than as a message on the login form."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            if error.code == "too_many_login_attempts":
                raise ImmediateHttpResponse(ratelimit.respond_429(request)) from error
            raise

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        return reverse("tracker:dashboard")

    def save_user(
        self, request: HttpRequest, user: User, form: BaseForm, commit: bool = True
    ) -> User:
        """Save the account with the date of birth and time zone of the sign-up form."""
        user = super().save_user(request, user, form, commit=False)
        data = form.cleaned_data
        user.date_of_birth = data.get("date_of_birth")
        user.time_zone = data.get("time_zone") or user.time_zone
        if commit:
            user.save()
        return user

    def send_mail(self, template_prefix: str, email: str, context: dict[str, object]) -> None:
        """Queue the e-mail for the worker instead of sending it inside the request: a slow or
        absent mail server neither holds the page nor loses the message (it is retried)."""
        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {"request": request, "email": email, "current_site": get_current_site(request)}
            | context,
        )
        user = context.get("user")
        if not isinstance(user, User) or not user.pk:
            # A reset code's e-mail names no user: it goes to the account with that address.
            user = User.objects.filter(email__iexact=email).first()
        notifications.queue_email(
            to=email,
            subject=str(message.subject),
            body=str(message.body),
            from_email=message.from_email,
            kind=Delivery.Kind.ACCOUNT,
            recipient=user,
            local_date=timezone.now().date(),
        )
