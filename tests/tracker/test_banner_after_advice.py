"""The red-flag banner (issue 16): in full until the advice page has been seen, then one line
with the number to call and a link back to the advice. It never goes before its 24 hours."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import client_for
from tests.factories import answer_red_flags
from tracker.models import PatientProfile, RedFlagAnswer

pytestmark = pytest.mark.django_db

ADVICE = reverse("tracker:advice")
HOME = reverse("home")


def banner(page: str) -> str | None:
    """The banner's HTML, or None when the page has none."""
    found = re.search(r'<div class="red-flag-banner[^"]*"(.*?)\n</div>', page, re.S)
    return found.group(0) if found else None


def test_the_full_banner_stays_until_the_advice_is_seen_then_shrinks_to_one_line(alice):
    client = client_for(alice)
    answer_red_flags(alice, "chest_pain", "fever")
    full = banner(client.get(HOME).content.decode())
    assert full is not None
    assert "red-flag-line" not in full
    assert "Do not wait to see if it gets better." in full
    assert "Because you said you have:" in full
    # Still in full on any other page, until the advice page itself is seen.
    assert "red-flag-line" not in banner(client.get(reverse("tracker:dashboard")).content.decode())

    client.get(ADVICE)
    assert not RedFlagAnswer.objects.filter(patient=alice, advice_shown_at__isnull=True).exists()
    for url in (HOME, reverse("tracker:dashboard"), reverse("education:article_list")):
        line = banner(client.get(url).content.decode())
        assert line is not None, url
        assert 'aria-label="Urgent advice for you"' in line
        assert "red-flag-line" in line
        # One line: the most pressing tier's call to action, its number and the advice.
        assert line.count("<p") == 1
        assert "Because you said you have:" not in line
        assert '<a href="tel:999">Call 999</a> or go to A&amp;E now.' in line
        assert "tel:111" not in line
        assert f'<a href="{ADVICE}">Your advice</a>' in line
        assert "btn-close" not in line
        assert "data-bs-dismiss" not in line


@pytest.mark.parametrize(
    ("codes", "pregnant", "words", "number"),
    [
        (("fever",), False, "Get medical advice today: an urgent GP appointment, or", "111"),
        (("pregnancy_bleeding", "fever"), True, "Contact your maternity unit now.", "999"),
    ],
)
def test_the_one_line_gives_the_highest_tiers_call_to_action(alice, codes, pregnant, words, number):
    PatientProfile.objects.create(user=alice, pregnant=pregnant)
    client = client_for(alice)
    answer_red_flags(alice, *codes)
    client.get(ADVICE)
    line = banner(client.get(HOME).content.decode())
    assert words in line
    assert re.findall(r'href="tel:(\d+)"', line) == [number]


def test_a_new_answer_brings_the_full_banner_back(alice, monkeypatch):
    client = client_for(alice)
    answer_red_flags(alice, "fever")
    client.get(ADVICE)
    assert "red-flag-line" in banner(client.get(HOME).content.decode())
    answer_red_flags(alice, "chest_pain")
    full = banner(client.get(HOME).content.decode())
    assert "red-flag-line" not in full
    assert 'data-tier="emergency"' in full


def test_the_one_line_still_goes_only_after_24_hours(alice, monkeypatch):
    answer_red_flags(alice, "chest_pain")
    client_for(alice).get(ADVICE)
    answered_at = RedFlagAnswer.objects.get(patient=alice).answered_at

    def home_at(moment: datetime.datetime) -> str:
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return client_for(alice).get(HOME).content.decode()

    day = datetime.timedelta(hours=24)
    assert "red-flag-line" in banner(home_at(answered_at + day - datetime.timedelta(seconds=1)))
    assert banner(home_at(answered_at + day + datetime.timedelta(seconds=1))) is None


def test_a_soon_answer_alone_shows_no_banner(alice):
    client = client_for(alice)
    answer_red_flags(alice, "not_coping")
    assert banner(client.get(HOME).content.decode()) is None
    client.get(ADVICE)
    assert banner(client.get(HOME).content.decode()) is None


def answer_queries(captured: CaptureQueriesContext) -> int:
    return sum('"tracker_redflaganswer"' in query["sql"] for query in captured.captured_queries)


def test_the_banner_costs_one_query_and_only_when_there_is_advice(alice, charlie):
    quiet, advised = client_for(charlie), client_for(alice)
    answer_red_flags(alice, "chest_pain")
    advised.get(ADVICE)
    for client in (quiet, advised):
        client.get(HOME)  # the session's idle clock is set
    with CaptureQueriesContext(connection) as without_advice:
        quiet.get(HOME)
    with CaptureQueriesContext(connection) as with_advice:
        page = advised.get(HOME).content.decode()
    assert "red-flag-line" in page
    # The stored status is read either way; only a page with advice asks if it was seen.
    assert answer_queries(without_advice) == 0
    assert answer_queries(with_advice) == 1
    assert len(with_advice) == len(without_advice) + 1


def test_the_advice_page_does_not_ask_about_the_banner(alice):
    client = client_for(alice)
    answer_red_flags(alice, "chest_pain")
    with CaptureQueriesContext(connection) as captured:
        page = client.get(ADVICE).content.decode()
    assert banner(page) is None
    # Only the advice view's own update of when it was shown touches the answers.
    sql = [q["sql"] for q in captured.captured_queries if '"tracker_redflaganswer"' in q["sql"]]
    assert all(not statement.lstrip().upper().startswith("SELECT EXISTS") for statement in sql)
    assert all("LIMIT 1" not in statement for statement in sql)
