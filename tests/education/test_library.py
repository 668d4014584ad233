import datetime
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from education.library import CONTENT_DIR, LibraryError, load_library, parse_article_file
from education.models import Article, Category

pytestmark = pytest.mark.django_db

ARTICLE = """+++
title = "Heat and cold"
slug = "{slug}"
category = "treatments"
summary = "Warmth for spasm."
status = "published"
featured = true
reviewed_by = "Test team"
last_reviewed = 2026-01-10
next_review_due = 2027-01-10
related = {related}

[[sources]]
title = "Back pain"
publisher = "NHS"
year = 2023
url = "https://www.nhs.uk/conditions/back-pain/"
+++
## Heat

Wrap it in a towel.
"""

EXERCISE = """+++
title = "Low bridge"
slug = "low-bridge"
category = "exercises"
summary = "Lift your hips a little."
status = "published"
reviewed_by = "Test team"
last_reviewed = 2026-01-10
next_review_due = 2026-07-10

[exercise]
starting_position = "Lie on your back."
steps = ["Tighten your tummy.", "Lift your hips.", "Lower slowly."]
hold = "Hold for 5 seconds."
repetitions = "Repeat 5 to 10 times."
cautions = ["Not flat on your back for long after 16 weeks of pregnancy."]
needs_professional_review = true
+++
Gentle strength for the lower back.
"""


@pytest.fixture
def content(tmp_path: Path) -> Path:
    (tmp_path / "heat.md").write_text(ARTICLE.format(slug="heat", related='["low-bridge"]'))
    (tmp_path / "low-bridge.md").write_text(EXERCISE)
    return tmp_path


def test_loader_creates_articles_with_sources_steps_and_links(content: Path) -> None:
    report = load_library(content)

    assert sorted(report.created) == ["heat", "low-bridge"]
    heat = Article.objects.get(slug="heat")
    assert heat.category == Category.TREATMENTS
    assert heat.published_at == datetime.datetime(2026, 1, 10, tzinfo=datetime.UTC)
    assert [source.publisher for source in heat.sources.all()] == ["NHS"]
    assert [related.slug for related in heat.related.all()] == ["low-bridge"]
    bridge = Article.objects.get(slug="low-bridge")
    assert [step.instruction for step in bridge.steps.all()] == [
        "Tighten your tummy.",
        "Lift your hips.",
        "Lower slowly.",
    ]
    assert bridge.needs_professional_review
    assert heat.history.count() == 1


def test_loading_twice_changes_nothing(content: Path) -> None:
    load_library(content)
    before = {a.slug: (a.updated_at, a.history.count()) for a in Article.objects.all()}

    report = load_library(content)

    assert report.created == report.updated == report.kept_edits == []
    assert sorted(report.unchanged) == ["heat", "low-bridge"]
    assert {a.slug: (a.updated_at, a.history.count()) for a in Article.objects.all()} == before


def test_changed_source_file_updates_an_unedited_article(content: Path) -> None:
    load_library(content)
    (content / "heat.md").write_text(
        ARTICLE.format(slug="heat", related="[]").replace("Wrap it", "Always wrap it")
    )

    report = load_library(content)

    assert report.updated == ["heat"]
    heat = Article.objects.get(slug="heat")
    assert "Always wrap it" in heat.body
    assert heat.related.count() == 0


def test_staff_edit_is_never_overwritten(content: Path) -> None:
    load_library(content)
    heat = Article.objects.get(slug="heat")
    heat.body = "An editor's better wording."
    heat.save()
    (content / "heat.md").write_text(
        ARTICLE.format(slug="heat", related="[]").replace("Wrap it", "Changed in the file")
    )

    report = load_library(content)
    report_again = load_library(content)

    assert report.kept_edits == report_again.kept_edits == ["heat"]
    assert Article.objects.get(slug="heat").body == "An editor's better wording."


def test_staff_edit_to_a_step_or_source_also_counts_as_an_edit(content: Path) -> None:
    load_library(content)
    step = Article.objects.get(slug="low-bridge").steps.first()
    step.instruction = "Breathe out and tighten your tummy."
    step.save()

    assert load_library(content).kept_edits == ["low-bridge"]


def test_article_created_in_the_admin_with_the_same_slug_is_kept(content: Path) -> None:
    Article.objects.create(
        slug="heat",
        title="Written by staff",
        category=Category.TREATMENTS,
        summary="s",
        body="b",
        reviewed_by="r",
        last_reviewed=datetime.date(2026, 1, 1),
        next_review_due=datetime.date(2027, 1, 1),
    )

    assert "heat" in load_library(content).kept_edits
    assert Article.objects.get(slug="heat").title == "Written by staff"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace('category = "treatments"', 'category = "gossip"'), "unknown category"),
        (lambda t: t.replace('slug = "heat"', 'slug = "other"'), "must match the file name"),
        (lambda t: t.replace("last_reviewed = 2026-01-10\n", ""), "missing last_reviewed"),
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


def test_management_command_reports_what_it_did(content: Path, capsys) -> None:
    call_command("load_articles", directory=str(content))
    call_command("load_articles", directory=str(content))

    out = capsys.readouterr().out
    assert "2 created" in out
    assert "2 unchanged" in out


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


def test_the_real_library_loads_and_covers_every_required_topic() -> None:
    report = load_library()

    assert set(report.created) >= SECTION_4_TOPICS | EXERCISES
    assert Article.objects.published().count() == len(library_files())
    assert len(load_library().unchanged) == len(library_files())


@pytest.mark.parametrize("path", library_files(), ids=lambda p: p.stem)
def test_every_real_article_is_sourced_reviewed_and_free_of_corrected_advice(path: Path) -> None:
    content = parse_article_file(path)
    text = (content["summary"] + " " + content["body"]).lower()

    assert len(content["sources"]) >= 2
    assert content["reviewed_by"]
    assert content["next_review_due"] > content["last_reviewed"]
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
    content = parse_article_file(CONTENT_DIR / f"{slug}.md")

    assert content["category"] == "exercises"
    assert content["starting_position"]
    assert len(content["steps"]) >= 3
    assert content["hold"] and content["repetitions"]
    assert "a day" not in content["repetitions"]
    assert content["needs_professional_review"]
