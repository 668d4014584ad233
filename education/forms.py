from django import forms
from django.utils.translation import gettext_lazy as _

from education.search import normalise_query


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search the articles"),
        max_length=200,
        error_messages={
            "required": _("Type a word or two to search for, for example “stretch” or “heat”."),
            "max_length": _("Please use a shorter search: at most %(limit_value)d characters."),
            "null_characters_not_allowed": _("The search contains a character we cannot read."),
        },
    )

    def clean_q(self) -> str:
        return normalise_query(self.cleaned_data["q"])
