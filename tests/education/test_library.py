import datetime
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from education import services
from education.library import CONTENT_DIR, LibraryError, load_library, parse_article_file
from education.models import Article, ArticleRevision, Category
from tests.conftest import REVIEWER_ROLE, make_reviewer, make_user

pytestmark = pytest.mark.django_db

ARTICLE = """+++
title = "Heat and cold"
slug = "{slug}"
category = "treatments"
summary = "Warmth for spasm."
status = "published"
featured = true
related = {related}

[[sources]]
title = "Back pain"
publisher = "NHS"
year = 2023
url = "https://www.nhs.uk/conditions/back-pain/"
+++
## Heat

Wrap it in a towel. See [the bridge](/articles/low-bridge/).
"""

EXERCISE = """+++
title = "Low bridge"
slug = "low-bridge"
category = "exercises"
summary = "Lift your hips a little."
status = "published"
# Files written before approval existed still carry these; they are ignored.
reviewed_by = "Test team"
last_reviewed = 2026-01-10
next_review_due = 2026-07-10

[[sources]]
title = "Back pain"
publisher = "NHS"
year = 2023

[exercise]
starting_position = "Lie on your back."
steps = [
  {{ text = "Tighten.", drawing = "img/exercises/low-bridge/step-1.svg", alt = "On the back." }},
  "Lift your hips.",
  "Lower slowly.",
]
hold = "Hold for 5 seconds."
repetitions = "Repeat 5 to 10 times."
cautions = ["Not flat on your back for long after 16 weeks of pregnancy."]
needs_professional_review = false
+++
Gentle strength for the lower back. Back to [heat](/articles/heat/).
"""


@pytest.fixture
def content(tmp_path: Path) -> Path:
    (tmp_path / "heat.md").write_text(ARTICLE.format(slug="heat", related='["low-bridge"]'))
    (tmp_path / "low-bridge.md").write_text(EXERCISE.format())
    return tmp_path


@pytest.fixture
def reviewer(db):
    return make_reviewer()


def test_without_a_reviewer_the_loader_publishes_nothing(content: Path, anonymous) -> None:
    report = load_library(content)

    assert sorted(report.created) == sorted(report.waiting) == ["heat", "low-bridge"]
    assert not Article.objects.published().exists()
    assert anonymous.get("/articles/heat/").status_code == 404
    waiting = ArticleRevision.objects.get(article__slug="heat", state="pending")
    assert waiting.author is None and waiting.author_name == "the article library"


def test_with_a_reviewer_the_loader_publishes_in_their_name(content: Path, reviewer) -> None:
    report = load_library(content, approve_as=reviewer, reviewer_role=REVIEWER_ROLE)

    assert report.approved == ["heat", "low-bridge"] and not report.refused
    heat = Article.objects.published().get(slug="heat")
    today = timezone.localdate()
    assert (heat.reviewed_by, heat.reviewer_role, heat.approved_by) == (
        "Rhys Reviewer",
        REVIEWER_ROLE,
        reviewer,
    )
    assert (heat.last_reviewed, heat.next_review_due) == (today, today + datetime.timedelta(365))
    assert heat.category == Category.TREATMENTS and heat.featured
    assert [source.publisher for source in heat.sources.all()] == ["NHS"]
    assert [related.slug for related in heat.related.all()] == ["low-bridge"]
    bridge = Article.objects.get(slug="low-bridge")
    steps = list(bridge.steps.all())
    assert [step.instruction for step in steps] == [
        "Tighten.",
        "Lift your hips.",
        "Lower slowly.",
    ]
    assert (steps[0].drawing, steps[0].drawing_alt) == (
        "img/exercises/low-bridge/step-1.svg",
        "On the back.",
    )
    assert steps[1].drawing == ""


def test_a_later_run_with_a_reviewer_approves_what_waits(content: Path, reviewer) -> None:
    load_library(content)

    report = load_library(content, approve_as=reviewer, reviewer_role=REVIEWER_ROLE)

    assert report.approved == ["heat", "low-bridge"]
    assert sorted(report.unchanged) == ["heat", "low-bridge"]


def test_loading_twice_changes_nothing(content: Path, reviewer) -> None:
    load_library(content, approve_as=reviewer, reviewer_role=REVIEWER_ROLE)
    before = {a.slug: (a.updated_at, a.history.count()) for a in Article.objects.all()}

    report = load_library(content, approve_as=reviewer, reviewer_role=REVIEWER_ROLE)

    assert report.created == report.updated == report.kept_edits == report.approved == []
    assert sorted(report.unchanged) == ["heat", "low-bridge"]
    assert {a.slug: (a.updated_at, a.history.count()) for a in Article.objects.all()} == before
    assert ArticleRevision.objects.count() == 2


def test_a_changed_file_waits_for_review_before_the_public_sees_it(
    content: Path, reviewer, anonymous
) -> None:
    load_library(content, approve_as=reviewer, reviewer_role=REVIEWER_ROLE)
    path = content / "heat.md"
    path.write_text(path.read_text().replace("Wrap it in a towel.", "Always wrap it."))

    report = load_library(content)

    assert report.updated == ["heat"] and report.waiting == ["heat"]
    assert "Always wrap it" not in anonymous.get("/articles/heat/").content.decode()
    load_library(content, approve_as=reviewer, reviewer_role=REVIEWER_ROLE)
    assert "Always wrap it" in anonymous.get("/articles/heat/").content.decode()
    assert Article.objects.get(slug="heat").revisions.count() == 2


def test_a_file_changed_twice_replaces_the_librarys_own_waiting_revision(
    content: Path, reviewer
) -> None:
    load_library(content, approve_as=reviewer, reviewer_role=REVIEWER_ROLE)
    path = content / "heat.md"
    path.write_text(path.read_text().replace("Wrap it in a towel.", "First change."))
    load_library(content)
    path.write_text(path.read_text().replace("First change.", "Second change."))

    load_library(content)

    states = dict(Article.objects.get(slug="heat").revisions.values_list("number", "state"))
    assert states == {1: "approved", 2: "withdrawn", 3: "pending"}
    assert "Second change." in ArticleRevision.objects.get(state="pending").body


def test_a_draft_that_was_never_published_is_updated_in_place(content: Path) -> None:
    path = content / "heat.md"
    path.write_text(path.read_text().replace('status = "published"', 'status = "draft"'))
    load_library(content)
    path.write_text(path.read_text().replace("Wrap it in a towel.", "Always wrap it."))

    report = load_library(content)

    assert report.updated == ["heat"]
    heat = Article.objects.get(slug="heat")
    assert heat.status == "draft" and "Always wrap it" in heat.body
    assert not heat.revisions.exists()


def test_a_persons_approved_edit_is_never_overwritten(content: Path, reviewer) -> None:
    load_library(content, approve_as=reviewer, reviewer_role=REVIEWER_ROLE)
    heat = Article.objects.get(slug="heat")
    editor = make_user("ed", is_staff=True)
    revision = services.propose(article=heat, author=editor)
    revision.body = "An editor's better wording."
    revision.save()
    services.approve(
        revision=revision,
        reviewer=reviewer,
        reviewer_role=REVIEWER_ROLE,
        next_review_due=timezone.localdate() + datetime.timedelta(days=100),
        today=timezone.localdate(),
    )
    path = content / "heat.md"
    path.write_text(path.read_text().replace("Wrap it in a towel.", "Always wrap it."))

    report = load_library(content, approve_as=reviewer, reviewer_role=REVIEWER_ROLE)

    assert report.kept_edits == ["heat"]
    assert Article.objects.get(slug="heat").body == "An editor's better wording."


def test_a_persons_waiting_revision_is_never_replaced(content: Path, reviewer) -> None:
    load_library(content, approve_as=reviewer, reviewer_role=REVIEWER_ROLE)
    editor = make_user("ed", is_staff=True)
    services.propose(article=Article.objects.get(slug="heat"), author=editor)
    path = content / "heat.md"
    path.write_text(path.read_text().replace("Wrap it in a towel.", "Always wrap it."))

    report = load_library(content, approve_as=reviewer, reviewer_role=REVIEWER_ROLE)

    assert report.kept_edits == ["heat"]
    waiting = ArticleRevision.objects.get(state="pending")
    assert waiting.author == editor and "Always wrap it" not in waiting.body


def test_an_article_staff_unpublished_stays_unpublished(content: Path, reviewer) -> None:
    load_library(content, approve_as=reviewer, reviewer_role=REVIEWER_ROLE)
    # They link to each other, so they leave together.
    unpublished, refused = services.unpublish_together(articles=list(Article.objects.all()))
    assert len(unpublished) == 2 and not refused

    report = load_library(content, approve_as=reviewer, reviewer_role=REVIEWER_ROLE)

    assert report.approved == [] and not Article.objects.published().exists()


def test_article_created_in_the_admin_with_the_same_slug_is_kept(content: Path) -> None:
    Article.objects.create(
        slug="heat", title="Written by staff", category=Category.TREATMENTS, summary="s"
    )

    assert "heat" in load_library(content).kept_edits
    assert Article.objects.get(slug="heat").title == "Written by staff"


def test_articles_that_link_to_each_other_are_approved_together(content: Path, reviewer) -> None:
    # heat links to low-bridge and back: neither could go first on its own.
    report = load_library(content, approve_as=reviewer, reviewer_role=REVIEWER_ROLE)

    assert report.approved == ["heat", "low-bridge"]


def test_a_file_that_breaks_the_publishing_rules_waits_and_says_why(
    content: Path, reviewer
) -> None:
    path = content / "heat.md"
    text = path.read_text()
    path.write_text(text[: text.index("[[sources]]")] + text[text.index("+++\n## Heat") :])

    report = load_library(content, approve_as=reviewer, reviewer_role=REVIEWER_ROLE)

    assert "heat" in report.refused
    assert any("at least one source" in message for message in report.refused["heat"])
    # low-bridge links to heat, which is not published, so it waits too, named.
    assert any("/articles/heat/" in message for message in report.refused["low-bridge"])
    assert not Article.objects.published().exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace('category = "treatments"', 'category = "gossip"'), "unknown category"),
        (lambda t: t.replace('slug = "heat"', 'slug = "other"'), "must match the file name"),
        (lambda t: t.replace('summary = "Warmth for spasm."\n', ""), "missing summary"),
        (lambda t: t.replace("+++\n", "", 1), "front matter"),
        (lambda t: t.replace('"low-bridge"]', '"nowhere"]'), "related slugs not found"),
        (lambda t: t.replace("year = 2023", "year = twenty"), "not valid TOML"),
        (lambda t: t.replace("Warmth for spasm.", "x" * 301), "summary is over 300"),
    ],
)
def test_bad_files_are_refused_with_the_reason_and_nothing_is_written(
    content: Path, change, message: str
) -> None:
    path = content / "heat.md"
    path.write_text(change(path.read_text()))

    with pytest.raises(LibraryError, match=message):
        load_library(content)
    assert Article.objects.count() == 0


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ('{ text = "Lift.", drawing = "img/x.svg" }', "needs its alt text"),
        ("{ drawing = 3 }", "a step must be text"),
        ("42", "a step must be text"),
    ],
)
def test_bad_steps_are_refused(content: Path, step: str, message: str) -> None:
    path = content / "low-bridge.md"
    text = path.read_text()
    path.write_text(text.replace('"Lift your hips.",', step + ","))

    with pytest.raises(LibraryError, match=message):
        load_library(content)


def test_management_command_reports_what_it_did(content: Path, reviewer, capsys) -> None:
    call_command("load_articles", directory=str(content))
    call_command("load_articles", directory=str(content), approve_as="rhys", role=REVIEWER_ROLE)

    out = capsys.readouterr().out
    assert "2 created" in out and "2 waiting for review" in out
    assert "2 unchanged" in out and "2 approved" in out


def test_management_command_refuses_an_approver_who_is_not_a_named_reviewer(
    content: Path, reviewer
) -> None:
    make_user("ed", is_staff=True)
    make_reviewer("nameless", first="", last="")
    make_reviewer("new-reviewer", first="New", last="One")

    with pytest.raises(CommandError, match="not a clinical reviewer"):
        call_command("load_articles", directory=str(content), approve_as="ed", role="GP")
    with pytest.raises(CommandError, match="no first and last name"):
        call_command("load_articles", directory=str(content), approve_as="nameless", role="GP")
    with pytest.raises(CommandError, match="--role"):
        call_command("load_articles", directory=str(content), approve_as="new-reviewer")
    assert not Article.objects.exists()


# The real library in education/content/.

SECTION_4_TOPICS = {
    "causes-and-risk-factors",
    "symptoms-of-back-spasm",
    "self-care-first-days",
    "heat-and-cold-safely",
    "medicines-for-back-spasm",
    "exercises-for-back-spasm",
    "prevention-at-work-and-in-sport",
    "hydration-and-cramps",
    "back-cramps-in-pregnancy",
    "when-to-get-help",
    "stay-active-not-bed-rest",
}
EXERCISES = {
    "exercise-all-fours-back-arch",
    "exercise-low-bridge",
    "exercise-childs-pose-stretch",
    "exercise-seated-forward-bend",
    "exercise-lying-knee-rolls",
}


CORRECTION = r"\bnot\b|\bno longer\b|\bno\b|n't\b|instead|rather than|may have heard"


def library_files() -> list[Path]:
    return sorted(p for p in CONTENT_DIR.glob("*.md") if p.name != "FORMAT.md")


def test_the_real_library_loads_and_covers_every_required_topic(published_library) -> None:
    slugs = {article.slug for article in published_library}

    assert slugs >= SECTION_4_TOPICS | EXERCISES
    assert len(slugs) == len(library_files())
    assert all(article.reviewed_by == "Lee Library" for article in published_library)
    assert len(load_library().unchanged) == len(library_files())


def test_every_protected_article_is_in_the_library(published_library) -> None:
    from education.models import PROTECTED_ARTICLES

    assert PROTECTED_ARTICLES <= {article.slug for article in published_library}


@pytest.mark.parametrize("path", library_files(), ids=lambda p: p.stem)
def test_every_real_article_is_sourced_and_free_of_corrected_advice(path: Path) -> None:
    content = parse_article_file(path).content
    text = (content["summary"] + " " + content["body"]).lower()

    assert len(content["sources"]) >= 2
    assert len(content["summary"]) <= 300
    assert "liquorice" not in text and "licorice" not in text
    for sentence in re.split(r"(?<=[.!?])\s+|\n\n", text):
        if re.search(r"x-ray|hard bed|bed rest|board under", sentence):
            # Corrected advice may only appear to be corrected (CLINICAL.md section 1).
            assert re.search(CORRECTION, sentence), sentence
    assert "times a day" not in text
    assert "# " not in content["body"].split("\n", 1)[0][:2], "headings start at ##"


@pytest.mark.parametrize("slug", sorted(EXERCISES))
def test_every_exercise_is_structured(slug: str) -> None:
    content = parse_article_file(CONTENT_DIR / f"{slug}.md").content

    assert content["category"] == "exercises"
    assert content["starting_position"]
    assert len(content["steps"]) >= 3
    assert content["hold"] and content["repetitions"]
    assert "a day" not in content["repetitions"]
