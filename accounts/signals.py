"""A change of role ends the person's sessions: what a session was allowed (and which second
factor it was checked for) was decided at its login, for the role the person had then."""

from allauth.usersessions.models import UserSession
from django.db.models.signals import m2m_changed, pre_save

from accounts.models import User

ROLE_FIELDS = ("is_staff", "is_superuser", "is_active")


def end_sessions(user: User) -> None:
    for session in UserSession.objects.filter(user=user):
        session.end()


def staff_flags_changed(sender: type[User], instance: User, **kwargs: object) -> None:
    if instance.pk is None or kwargs.get("raw"):
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not set(ROLE_FIELDS) & set(update_fields):
        return  # e.g. the login's last_login: no query for it
    before = User.objects.filter(pk=instance.pk).values(*ROLE_FIELDS).first()
    if before and any(before[name] != getattr(instance, name) for name in ROLE_FIELDS):
        end_sessions(instance)


def groups_changed(sender: object, instance: object, action: str, **kwargs: object) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if isinstance(instance, User):
        end_sessions(instance)
    else:  # a group's members changed from the group's side
        for user in User.objects.filter(pk__in=kwargs.get("pk_set") or ()):
            end_sessions(user)


def connect() -> None:
    pre_save.connect(staff_flags_changed, sender=User, dispatch_uid="portal-role-fields")
    m2m_changed.connect(
        groups_changed, sender=User.groups.through, dispatch_uid="portal-role-groups"
    )
