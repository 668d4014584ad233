"""Consent on a phone (issue 19), in Chromium at 390x844 with touch: signing up asks two boxes,
never ticked for you; leaving one empty says so next to it and keeps what was typed; ticked, the
tracker opens. A changed notice asks again at the next page, and Get help is never behind it."""

import datetime
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts import consent
from accounts.models import Consent, User
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import PHONE, fill_login_form

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TOUCH_TARGET = 44


@pytest.fixture
def phone(open_browser):
    return open_browser(viewport=PHONE, has_touch=True)


def test_signing_up_on_a_phone_asks_for_consent_and_keeps_what_was_typed(phone) -> None:
    page = phone.page
    phone.goto("/accounts/signup/")
    health = page.get_by_role("checkbox", name=re.compile("store and use my health information"))
    terms = page.get_by_role("checkbox", name="I accept the terms of use")
    expect(health).not_to_be_checked()
    expect(terms).not_to_be_checked()
    # The links open the texts in a new tab, so the form stays as typed.
    notice_link = page.get_by_role("link", name="privacy notice", exact=True)
    expect(notice_link).to_have_attribute("target", "_blank")
    expect(notice_link).to_have_attribute("rel", "noopener")
    for box in (health, terms):
        size = box.bounding_box()
        assert size and size["width"] >= 20 and size["height"] >= 20, size
    phone.check()

    page.get_by_label("Username").fill("nadia")
    page.get_by_label("Email").fill("nadia@example.org")
    page.get_by_label("Date of birth").fill("1986-04-30")
    page.get_by_label("Time zone").fill("Europe/London")
    page.get_by_role("textbox", name=re.compile(r"^Password\W*$")).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    terms.tap()
    page.get_by_role("button", name="Create my account").tap()

    # Refused: the reason next to the box, in the summary too; nothing saved, nothing lost.
    expect(page.get_by_role("alert")).to_contain_text("Nothing has been saved yet")
    health = page.get_by_role("checkbox", name=re.compile("store and use my health information"))
    expect(health).to_have_attribute("aria-invalid", "true")
    expect(health).to_have_accessible_description(re.compile("Please tick this box"))
    expect(page.get_by_label("Username")).to_have_value("nadia")
    expect(page.get_by_label("Email")).to_have_value("nadia@example.org")
    expect(page.get_by_label("Date of birth")).to_have_value("1986-04-30")
    expect(page.get_by_role("checkbox", name="I accept the terms of use")).to_be_checked()
    assert not User.objects.filter(username="nadia").exists()
    health.scroll_into_view_if_needed()
    phone.check(screenshot="consent-sign-up-refused")

    health.tap()
    page.get_by_role("textbox", name=re.compile(r"^Password\W*$")).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").tap()
    page.wait_for_url("**/accounts/confirm-email/")
    phone.check()
    [message] = mail.outbox
    code = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", message.body, re.MULTILINE).group(1)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Confirm").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your tracker")
    nadia = User.objects.get(username="nadia")
    assert sorted(nadia.consents.values_list("kind", "version")) == [
        (Consent.Kind.HEALTH_DATA, consent.PRIVACY_NOTICE.version),
        (Consent.Kind.TERMS, consent.TERMS.version),
    ]
    phone.check()


def test_a_changed_notice_asks_again_after_signing_in_on_a_phone(phone, monkeypatch) -> None:
    make_user("amira")
    monkeypatch.setattr(
        consent,
        "PRIVACY_NOTICE",
        consent.Document(
            version=consent.PRIVACY_NOTICE.version + 1,
            published=datetime.date(2027, 3, 1),
            changes=("Copies of e-mails are now kept for 30 days.",),  # type: ignore[arg-type]
        ),
    )
    page = phone.page
    phone.goto("/accounts/login/")
    phone.check()
    fill_login_form(phone, "amira", PASSWORD, tap=True)

    expect(page.get_by_role("heading", level=1)).to_have_text("We changed what you agreed to")
    expect(page.get_by_text("Copies of e-mails are now kept for 30 days.")).to_be_visible()
    phone.check(screenshot="consent-asked-again")
    # Help first: "Get help" in the header works while the answer is pending.
    page.locator(".get-help-header").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Get help now")
    phone.check()
    page.go_back()

    page.get_by_role("button", name="Save and go on").tap()
    box = page.get_by_role("checkbox", name=re.compile("store and use my health information"))
    expect(box).to_have_accessible_description(re.compile("Please tick this box"))
    box.tap()
    page.get_by_role("button", name="Save and go on").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your tracker")
    phone.check()
    assert User.objects.get(username="amira").consents.filter(version=2).count() == 1


def test_the_footer_links_are_easy_to_tap(phone) -> None:
    page = phone.page
    phone.goto("/")
    phone.check()
    for name in ("Privacy", "Terms"):
        link = page.locator("footer").get_by_role("link", name=name, exact=True)
        box = link.bounding_box()
        assert box and box["height"] >= TOUCH_TARGET, (name, box)
        link.tap()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Privacy notice" if name == "Privacy" else "Terms of use"
        )
        phone.check(screenshot=f"consent-{name.lower()}-page")
        page.go_back()
