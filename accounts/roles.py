"""The portal's roles. A role is a group that staff assign in the admin, never by signing up."""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.db import DEFAULT_DB_ALIAS

from accounts.models import User

CLINICIANS = "Clinicians"
CONTENT_EDITORS = "Content editors"
CLINICAL_REVIEWERS = "Clinical reviewers"
ROLE_CACHE = "_portal_roles"


def has_role(user: User | AnonymousUser, role: str) -> bool:
    """Say whether a signed-in user belongs to the named role's group.

    The user's role names are read once and kept on the user object, as Django's ModelBackend
    keeps permissions: a page asks several times (the view, the navigation) for one query.
    The request's user object lives for one request, so a change of role applies at the next.
    """
    if not user.is_authenticated:
        return False
    if not hasattr(user, ROLE_CACHE):
        setattr(user, ROLE_CACHE, frozenset(user.groups.values_list("name", flat=True)))
    return role in getattr(user, ROLE_CACHE)


def forget_roles(user: User) -> None:
    """Drop the roles kept on this user object, after changing its groups."""
    if hasattr(user, ROLE_CACHE):
        delattr(user, ROLE_CACHE)


def is_clinician(user: User | AnonymousUser) -> bool:
    """Say whether the user is an approved clinician."""
    return has_role(user, CLINICIANS)


def ensure_role_groups(using: str = DEFAULT_DB_ALIAS) -> None:
    """Make sure the role groups exist with exactly their permissions.

    Content editors hold the education app's permissions except approving a revision, changing
    the row history (which they may only view) and deleting a revision (the editorial history
    is kept). Clinical reviewers hold the same and may approve: the second person who checks a
    change before it goes live (education.services).

    Runs after every `migrate` (and after a test flush), so a new education model's permissions
    reach them without a hand-written migration. The groups' permissions are defined here,
    in code: changes made to them in the admin are put back at the next migrate.
    """
    # post_migrate reaches the accounts app before the education app, whose permissions a flushed
    # database does not have yet: create them first (this does nothing if they exist).
    create_permissions(apps.get_app_config("education"), verbosity=0, using=using)
    Group.objects.using(using).get_or_create(name=CLINICIANS)
    writing = (
        Permission.objects.using(using)
        .filter(content_type__app_label="education")
        .exclude(
            codename__in=[
                *(f"{action}_historicalarticle" for action in ("add", "change", "delete")),
                "delete_articlerevision",
                "approve_articlerevision",
            ]
        )
    )
    editors, _ = Group.objects.using(using).get_or_create(name=CONTENT_EDITORS)
    editors.permissions.set(writing)
    reviewers, _ = Group.objects.using(using).get_or_create(name=CLINICAL_REVIEWERS)
    reviewers.permissions.set(
        [
            *writing,
            Permission.objects.using(using).get(
                content_type__app_label="education", codename="approve_articlerevision"
            ),
        ]
    )
