"""List filters that would put health data in a URL travel by POST and live in the session.

A trigger ("stress") or a patient's name in a query string would land in browser history,
proxy and server logs. So the filter form posts, the valid values are kept in the session
under the page's own key, and the page redirects to its plain address (post/redirect/get).
Only the page number stays in the query string.
"""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

CLEAR = "clear"


def remembered_filter(
    request: HttpRequest, *, key: str, form_class: type[forms.Form], **form_kwargs: object
) -> tuple[forms.Form, HttpResponse | None]:
    """Return the page's filter form, and a redirect when a post changed the filter.

    A valid post is remembered and redirects; an invalid one is returned bound, with its
    errors and everything typed, and remembers nothing. "Clear" forgets the filter.
    """
    session_key = f"filter:{key}"
    if request.method == "POST":
        if CLEAR in request.POST:
            request.session.pop(session_key, None)
            return form_class(**form_kwargs), redirect(request.path)
        form = form_class(request.POST, **form_kwargs)
        if form.is_valid():
            request.session[session_key] = {
                name: request.POST.get(name, "") for name in form.fields
            }
            return form, redirect(request.path)
        return form, None
    remembered = request.session.get(session_key)
    if remembered:
        form = form_class(remembered, **form_kwargs)
        form.is_valid()
        return form, None
    return form_class(**form_kwargs), None
