"""Help first (issue 16): the numbers to call in one tap, on "Get help now" and every page."""

import json
import re

import pytest
from django.urls import reverse

from tests.conftest import client_for
from tracker.rules import RED_FLAGS, Tier

pytestmark = pytest.mark.django_db

GET_HELP = reverse("get_help")


def tel_links(page: str) -> list[str]:
    return re.findall(r'href="tel:([^"]*)"', page)


def help_numbers(page: str) -> str:
    """The block of numbers at the top of "Get help now"."""
    start = page.index('class="help-numbers')
    return page[start : page.index("</ul>", start)]


@pytest.mark.parametrize("who", ["anonymous", "alice"])
def test_get_help_opens_with_the_numbers_to_call_before_the_checklist(request, who) -> None:
    client = request.getfixturevalue(who)
    if who == "alice":
        client = client_for(client)
    page = client.get(GET_HELP).content.decode()
    numbers = help_numbers(page)
    assert tel_links(numbers) == ["999", "111"]
    assert 'href="https://111.nhs.uk/"' in numbers
    # Each has its one line on when to use it.
    assert "Emergency: any of the emergency symptoms below" in numbers
    assert "Urgent advice today, when it is not an emergency." in numbers
    assert "The same urgent advice, on the web." in numbers
    # Before anything else of the page's own: the lead, the checklist and the tiers follow.
    h1 = page.index("<h1>")
    assert h1 < page.index('class="help-numbers') < page.index('class="lead"')
    assert page.index('class="help-numbers') < page.index('data-tier="emergency"')
    if who == "alice":
        assert page.index('class="help-numbers') < page.index(reverse("tracker:red_flag_check"))
    # The tiers that say to call carry the number as a link too.
    emergency = page[page.index('data-tier="emergency"') : page.index('data-tier="maternity"')]
    urgent = page[page.index('data-tier="urgent"') : page.index('data-tier="soon"')]
    assert tel_links(emergency) == ["999"]
    assert tel_links(urgent) == ["111"]


def test_get_help_numbers_come_from_the_settings(anonymous, settings) -> None:
    settings.PORTAL_EMERGENCY_NUMBER = "112"
    settings.PORTAL_URGENT_NUMBER = "116117"
    page = anonymous.get(GET_HELP).content.decode()
    assert tel_links(help_numbers(page)) == ["112", "116117"]
    assert "tel:999" not in page
    assert "tel:111" not in page


def test_get_help_tells_the_offline_page_each_answers_tier(anonymous) -> None:
    page = anonymous.get(GET_HELP).content.decode()
    for tier in ("emergency", "maternity", "urgent", "soon"):
        assert page.count(f'data-tier="{tier}"') == 1, tier
    found = re.search(
        r'<script id="red-flag-tiers" type="application/json">(.*?)</script>', page, re.S
    )
    assert found
    tiers = json.loads(found.group(1))
    assert set(tiers) == {flag.code for flag in RED_FLAGS}
    assert set(tiers.values()) == {"emergency", "maternity", "urgent", "soon"}
    for flag in RED_FLAGS:
        expected = "maternity" if flag.pregnancy_only else flag.tier.name.lower()
        assert tiers[flag.code] == expected
    assert tiers["saddle_numbness"] == "emergency"
    assert tiers["fever"] == "urgent"
    assert tiers["not_coping"] == "soon"
    assert tiers["pregnancy_bleeding"] == "maternity"
    assert all(tiers[flag.code] == "maternity" for flag in RED_FLAGS if flag.tier == Tier.MATERNITY)


@pytest.mark.parametrize("who", ["anonymous", "alice"])
def test_every_page_has_get_help_in_the_header_and_a_number_in_the_footer(request, who) -> None:
    client = request.getfixturevalue(who)
    if who == "alice":
        client = client_for(client)
    # The login page for a visitor; a signed-in person is sent on from it, so their profile.
    own = reverse("account_login") if who == "anonymous" else reverse("profile")
    for url in (reverse("home"), reverse("education:article_list"), GET_HELP, own):
        page = client.get(url).content.decode()
        header = page[page.index("<header") : page.index("</header>")]
        collapsed_menu = header.index('id="site-nav"')
        # The phone's Get help is before the menu's toggler, outside the collapsed menu;
        # the menu's own is only shown where the menu is laid out in a row (one at a time).
        phone_help = header.index("get-help-header")
        assert phone_help < header.index("navbar-toggler") < collapsed_menu
        assert (
            "d-xl-none"
            in header[header.rindex("<a", 0, phone_help) : header.index(">", phone_help)]
        )
        assert header.count(f'href="{GET_HELP}"') == 2
        assert 'd-none d-xl-block"><a class="btn btn-danger' in header
        footer = page[page.index("<footer") :]
        assert '<a href="tel:999">call 999</a>' in footer, url


def test_signed_in_pages_say_whose_they_are_for_queued_entries(alice, anonymous) -> None:
    assert f'data-user="{alice.pk}"' in client_for(alice).get(reverse("home")).content.decode()
    assert "data-user=" not in anonymous.get(reverse("home")).content.decode()


def test_the_colour_mode_is_set_in_the_head_by_a_static_script(anonymous) -> None:
    page = anonymous.get(reverse("home")).content.decode()
    head = page[: page.index("</head>")]
    assert re.search(r'<script src="/static/js/colour-mode\.[0-9a-f]{12}\.js"></script>', head)
    # The switch waits for the script (hidden without it) and offers the three modes.
    switch = page[page.index("data-colour-mode") : page.index("</fieldset>")]
    assert "hidden" in switch.split(">")[0]
    assert re.findall(r'name="colour-mode" id="[^"]+" value="(\w+)"', switch) == [
        "auto",
        "light",
        "dark",
    ]


def test_other_pages_that_say_call_carry_the_number_as_a_link(alice, anonymous) -> None:
    for _ in range(6):
        locked_out = anonymous.post(
            reverse("account_login"), {"login": "alice", "password": "wrong"}
        )
    assert locked_out.status_code == 429
    check = client_for(alice).get(reverse("tracker:red_flag_check"))
    for page in (locked_out.content.decode(), check.content.decode()):
        main = page[page.index("<main") : page.index("</main>")]
        assert '<a href="tel:999">call 999</a>' in main
