"""The illustrated exercises: every step's drawing, the drawings themselves, the printable sheet."""

import datetime
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from accounts.models import User
from education.library import load_library
from education.models import Article, Category, ExerciseStep
from tests.conftest import client_for, make_article

pytestmark = pytest.mark.django_db

DRAWINGS = Path(settings.BASE_DIR) / "static" / "img" / "exercises"
SVG = "{http://www.w3.org/2000/svg}"
SHEET = reverse("education:exercise_sheet")
STOP_RULE = "Stop if the pain clearly gets worse, or if you feel tingling or numbness."
LYING_EXERCISES = ("exercise-low-bridge", "exercise-lying-knee-rolls")
PREGNANCY = "After about 16 weeks of pregnancy, avoid lying flat on your back for long."


@pytest.fixture
def library(request: pytest.FixtureRequest, db: None) -> list[Article]:
    """Return the published library: the lead's approved fixture, or the plain loader before it."""
    try:
        request.getfixturevalue("published_library")
    except pytest.FixtureLookupError:
        load_library()
    return list(Article.objects.published().order_by("slug"))


def make_exercise(slug: str, *, steps: int, status: str = Article.Status.PUBLISHED) -> Article:
    article = make_article(
        slug=slug,
        title=f"Exercise {slug}",
        status=status,
        category=Category.EXERCISES,
        starting_position=f"Start of {slug}.",
        steps=tuple(f"Step {n} of {slug}." for n in range(1, steps + 1)),
    )
    Article.objects.filter(pk=article.pk).update(
        hold=f"Hold {slug} for 5 seconds.",
        repetitions=f"Repeat {slug} 5 to 10 times.",
        cautions=f"First caution of {slug}.\nSecond caution of {slug}.",
    )
    ExerciseStep.objects.filter(article=article).update(
        drawing="img/exercises/low-bridge/step-1.svg", drawing_alt=f"What the body does in {slug}."
    )
    return article


def _svg_files() -> list[Path]:
    return sorted(DRAWINGS.glob("*/*.svg"))


# --- The printable sheet --------------------------------------------------------------------


def test_sheet_shows_each_published_exercise_with_its_drawings_dose_and_cautions(
    anonymous: Client,
) -> None:
    make_exercise("bridge", steps=2)
    make_exercise("rolls", steps=3)

    response = anonymous.get(SHEET)

    assert response.status_code == 200
    page = response.content.decode()
    for slug, steps in (("bridge", 2), ("rolls", 3)):
        assert f"Exercise {slug}" in page
        assert f"Start of {slug}." in page
        for n in range(1, steps + 1):
            assert f"<span>Step {n} of {slug}.</span>" in page
        assert page.count(f'alt="What the body does in {slug}."') == steps
        assert f"Hold {slug} for 5 seconds." in page
        assert f"Repeat {slug} 5 to 10 times." in page
        assert f"<li>First caution of {slug}.</li><li>Second caution of {slug}.</li>" in page
    assert re.search(r'<img src="/static/img/exercises/low-bridge/step-1\.[0-9a-f]+\.svg"', page)
    assert page.count(STOP_RULE) == 1
    assert "This sheet informs; it does not diagnose." in page
    assert settings.PORTAL_SITE_URL + SHEET in page
    assert "css/exercise-sheet." in page and "data-print" in page


def test_sheet_leaves_out_drafts_future_articles_and_pages_without_steps(anonymous: Client) -> None:
    make_exercise("shown", steps=1)
    make_exercise("draft", steps=1, status=Article.Status.DRAFT)
    future = make_exercise("future", steps=1)
    Article.objects.filter(pk=future.pk).update(
        published_at=timezone.now() + datetime.timedelta(days=1)
    )
    make_article(slug="overview", title="Exercises overview", category=Category.EXERCISES)

    page = anonymous.get(SHEET).content.decode()

    assert "Exercise shown" in page
    assert "Exercise draft" not in page and "Step 1 of draft." not in page
    assert "Exercise future" not in page
    assert "Exercises overview" not in page


def test_sheet_without_exercises_says_so(anonymous: Client) -> None:
    response = anonymous.get(SHEET)

    assert response.status_code == 200
    assert "There are no exercises to show yet." in response.content.decode()


@pytest.mark.parametrize("exercises, steps", [(1, 2), (5, 6)])
def test_sheet_queries_do_not_grow_with_exercises_or_steps(
    anonymous: Client, django_assert_num_queries: DjangoAssertNumQueries, exercises: int, steps: int
) -> None:
    for n in range(exercises):
        make_exercise(f"exercise-{n}", steps=steps)

    # 1 the published articles that have steps (one EXISTS subquery), 2 their steps
    with django_assert_num_queries(2):
        response = anonymous.get(SHEET)

    assert response.content.decode().count("<img src=") == exercises * steps


def test_sheet_is_kept_in_the_public_page_cache(
    anonymous: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    make_exercise("bridge", steps=2)
    first = anonymous.get(SHEET)

    # nothing: the visitor's second look is served from the cache
    with django_assert_num_queries(0):
        second = anonymous.get(SHEET)

    assert second.content == first.content


def test_sheet_is_not_cached_for_a_signed_in_person(alice: User) -> None:
    client = client_for(alice)
    client.get(SHEET)
    make_exercise("added-later", steps=1)

    assert "Exercise added-later" in client.get(SHEET).content.decode()


def test_library_sheet_shows_all_five_exercises_and_the_pregnancy_caution_where_it_applies(
    anonymous: Client, library: list[Article]
) -> None:
    exercises = [article for article in library if article.steps.exists()]
    assert len(exercises) == 5

    page = anonymous.get(SHEET).content.decode()

    for article in exercises:
        assert article.title.replace("'", "&#x27;") in page
    sections = dict(re.findall(r'<section [^>]*aria-labelledby="exercise-([a-z-]+)"(.*?)</section>',
                               page, flags=re.S))  # fmt: skip
    assert set(sections) == {article.slug for article in exercises}
    for slug, section in sections.items():
        assert (PREGNANCY in section) == (slug in LYING_EXERCISES), slug


# --- The article page -----------------------------------------------------------------------


def test_exercise_article_shows_each_drawing_with_its_alt_text_and_the_sheet_link(
    anonymous: Client,
) -> None:
    article = make_exercise("bridge", steps=2)

    page = anonymous.get(article.get_absolute_url()).content.decode()

    drawings = re.findall(r'<img class="exercise-drawing" src="([^"]+)" alt="([^"]+)"[^>]*>', page)
    assert len(drawings) == 2
    for src, alt in drawings:
        assert re.fullmatch(r"/static/img/exercises/low-bridge/step-1\.[0-9a-f]+\.svg", src)
        assert alt == "What the body does in bridge."
    assert 'width="300" height="180" loading="lazy"' in page
    assert "<span>Step 1 of bridge.</span>" in page
    assert f'href="{SHEET}">Print the exercise sheet</a>' in page


def test_step_without_a_drawing_shows_its_text_alone(anonymous: Client) -> None:
    article = make_article(
        slug="plain",
        category=Category.EXERCISES,
        starting_position="Sit.",
        steps=("Lean forward.",),
    )

    page = anonymous.get(article.get_absolute_url()).content.decode()

    assert '<ol class="exercise-steps"><li>Lean forward.</li></ol>' in page
    assert "exercise-drawing" not in page


# --- The library's drawings -----------------------------------------------------------------


def test_every_step_of_every_published_exercise_has_a_drawing_and_alt_text(
    library: list[Article],
) -> None:
    steps = list(ExerciseStep.objects.filter(article__in=library).select_related("article"))
    assert len(steps) >= 25  # the five exercises: an empty library would prove nothing

    for step in steps:
        where = f"{step.article.slug} step {step.position}"
        assert step.drawing, f"{where} has no drawing"
        assert finders.find(step.drawing), f"{where}: {step.drawing} is not a static file"
        assert len(step.drawing_alt.split()) >= 6, f"{where}: the alt text says too little"


def test_every_drawing_file_belongs_to_a_step(library: list[Article]) -> None:
    used = set(ExerciseStep.objects.values_list("drawing", flat=True))

    files = {f"img/exercises/{path.parent.name}/{path.name}" for path in _svg_files()}

    assert files == used - {""}


@pytest.mark.parametrize("path", _svg_files(), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_drawing_is_a_small_self_contained_svg_with_a_title(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    root = ET.fromstring(text)  # our own files; raises on anything not well-formed

    assert root.tag == f"{SVG}svg"
    assert re.fullmatch(r"-?[\d.]+ -?[\d.]+ [\d.]+ [\d.]+", root.get("viewBox", ""))
    title = root.find(f"{SVG}title")
    assert title is not None and title.text and len(title.text.split()) >= 4
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert tags <= {"svg", "title", "g", "path", "circle"}, tags  # no image, script, style, use
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), f"event handler {name}"
            assert "href" not in name, f"reference {name}={value}"
            assert "url(" not in value and "://" not in value.replace(
                "http://www.w3.org/2000/svg", ""
            ), f"external reference {name}={value}"
            if name in ("stroke", "fill"):
                assert value in ("currentColor", "none"), f"{name}={value}: prints in one colour"
    assert len(text.encode()) < 2_000, "a line drawing stays small"
