"""The portal's roles. A role is a group that staff assign in the admin, never by signing up."""

from django.contrib.auth.models import AnonymousUser

from portal.models import User

CLINICIANS = "Clinicians"
CONTENT_EDITORS = "Content editors"


def has_role(user: User | AnonymousUser, role: str) -> bool:
    """Say whether a signed-in user belongs to the named role's group."""
    if not user.is_authenticated:
        return False
    return user.groups.filter(name=role).exists()


def is_clinician(user: User | AnonymousUser) -> bool:
    """Say whether the user is an approved clinician."""
    return has_role(user, CLINICIANS)


def is_content_editor(user: User | AnonymousUser) -> bool:
    """Say whether the user edits the article library."""
    return has_role(user, CONTENT_EDITORS)
