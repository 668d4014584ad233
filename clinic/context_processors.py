from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from clinic import messaging


def clinician_messages(request: HttpRequest) -> dict[str, object]:
    """Give the patient's dashboard their unread messages from clinicians.

    The dashboard (tracker) cannot import the clinic, which sits above it; this hands it the
    messages instead. Read only when a page shows them: one query, on the dashboard alone.
    """

    def unread() -> list:
        user = request.user
        return messaging.unread_for(user) if user.is_authenticated else []

    return {"CLINICIAN_MESSAGES": SimpleLazyObject(unread)}
