"""Sign-in backend: Django's ModelBackend, loading the patient's tracker profile with the user."""

from django.contrib.auth.backends import ModelBackend

from accounts.models import User


class PortalBackend(ModelBackend):
    """Load the signed-in user and their tracker profile in one query on every request.

    Patient pages need the profile (their drinks target, their usual glass, whether to ask the
    pregnancy questions); a LEFT JOIN here saves a query on each of them.
    """

    def get_user(self, user_id: int) -> User | None:
        user = User._default_manager.select_related("patient_profile").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
