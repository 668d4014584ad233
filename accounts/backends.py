"""Sign-in backend: django-allauth's (username or e-mail address), loading the patient's tracker
profile with the user."""

from allauth.account.auth_backends import AuthenticationBackend

from accounts.models import User


class PortalBackend(AuthenticationBackend):
    """Log in by username or e-mail address; load the signed-in user and their tracker profile
    in one query on every request.

    Patient pages need the profile (their drinks target, their usual glass, whether to ask the
    pregnancy questions); a LEFT JOIN here saves a query on each of them.
    """

    def get_user(self, user_id: int) -> User | None:
        user = User._default_manager.select_related("patient_profile").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
