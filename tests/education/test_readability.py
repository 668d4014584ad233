"""The reading age of a draft, and the library held to its target (reading age 9 to 11)."""

import tomllib

import pytest
import textstat  # type: ignore[import-untyped]

from education.library import CONTENT_DIR, load_library
from education.models import Article
from education.readability import (
    READING_AGE_TARGET,
    ReadingReport,
    plain_sentences,
    reading_age,
    reading_report,
)

SIMPLE = """
## Rest a little

Sit down for a short time. Then get up and walk a bit. Do not stay in bed all day.
A warm towel on your back can help. Keep it on for a while. Then take it off.
If the pain is bad, call your GP. They can help you.
"""

DENSE = """
Musculoskeletal spasms of the lumbar paraspinal musculature, characterised by involuntary
sustained contraction, frequently accompany degenerative intervertebral pathology, and their
pharmacological management necessitates individualised consideration of contraindications,
particularly regarding nonsteroidal anti-inflammatory medication in susceptible populations,
whose gastrointestinal, cardiovascular and renal vulnerabilities require comprehensive evaluation.
"""


def test_simple_text_has_a_low_reading_age() -> None:
    age = reading_age(SIMPLE)

    assert age is not None
    assert age < READING_AGE_TARGET[0]


def test_dense_text_has_a_high_reading_age() -> None:
    age = reading_age(DENSE)

    assert age is not None
    assert age > 20


def test_reading_age_is_the_grade_plus_five() -> None:
    report = reading_report(SIMPLE)
    sentences = plain_sentences(SIMPLE)

    assert report.sentences == len(sentences) == 9
    # Flesch-Kincaid by hand over the same counts, then the UK offset of 5 years.
    syllables = sum(_syllables(sentence) for sentence in sentences)
    grade = 0.39 * report.words / report.sentences + 11.8 * syllables / report.words - 15.59
    assert report.age == round(grade + 5, 1)


def _syllables(sentence: str) -> int:
    return int(textstat.syllable_count(sentence))


def test_each_list_item_is_a_sentence_of_its_own() -> None:
    items = "\n".join(
        f"- a warm towel or a heat pack wrapped in cloth number {n}" for n in range(8)
    )
    as_list = f"Things that help\n\n{items}\n"

    report = reading_report(as_list)

    assert report.sentences == 9
    assert plain_sentences(as_list)[0] == "Things that help."
    assert plain_sentences(as_list)[1] == "a warm towel or a heat pack wrapped in cloth number 0."
    # Read as one run-on sentence, the same words would score far higher.
    run_on = reading_age(" ".join(plain_sentences(as_list)).replace(".", ""))
    assert report.age is not None and run_on is not None
    assert run_on > report.age + 10


def test_headings_table_cells_and_paragraphs_end_as_sentences() -> None:
    text = (
        "## What to try\n\nSome advice:\n\n| Heat | Cold |\n| --- | --- |\n"
        "| A warm towel | Ice in a cloth |\n\nStop if it hurts more!"
    )

    assert plain_sentences(text) == [
        "What to try.",
        "Some advice.",
        "Heat.",
        "Cold.",
        "A warm towel.",
        "Ice in a cloth.",
        "Stop if it hurts more!",
    ]


def test_sentences_inside_a_paragraph_are_split() -> None:
    assert plain_sentences("Walk a bit. Rest a bit? Yes! Then walk again") == [
        "Walk a bit.",
        "Rest a bit?",
        "Yes!",
        "Then walk again.",
    ]


def test_too_little_text_has_no_reading_age() -> None:
    report = reading_report("Keep moving. Walk a little every day.")

    assert report.age is None
    assert report.words == 7
    assert reading_age("") is None


def test_markdown_syntax_does_not_count_as_words() -> None:
    plain = "Read the advice on back pain. Then walk."
    marked = (
        "## Read\n\n**Read** the [advice on back pain](https://www.nhs.uk/conditions/back-pain/"
        ' "NHS back pain"). *Then* walk.'
    )

    assert reading_report(plain).words == 8
    assert reading_report(marked).words == 9  # the heading's one word, and the same eight
    assert "nhs" not in " ".join(plain_sentences(marked)).lower()


def test_raw_html_is_read_as_the_reader_sees_it() -> None:
    assert plain_sentences("<script>alert('many hidden words here')</script>Walk.") == ["Walk."]


def test_hardest_sentences_are_those_above_target_heaviest_first() -> None:
    text = (
        SIMPLE + "\nPharmacological management necessitates individualised consideration.\n\n"
        "If the pain spreads down into both of your legs, or you feel numb or tingly in your "
        "bottom, call for an ambulance straight away without waiting to see if it goes.\n\n"
        "Physiotherapists recommend comfortable, gradual movement.\n"
    )

    report = reading_report(text)

    # Each of the three reads above 11 on its own; the heaviest (most syllables) comes first.
    assert report.hardest == (
        "If the pain spreads down into both of your legs, or you feel numb or tingly in your "
        "bottom, call for an ambulance straight away without waiting to see if it goes.",
        "Pharmacological management necessitates individualised consideration.",
        "Physiotherapists recommend comfortable, gradual movement.",
    )


def test_an_easy_text_has_no_hardest_sentences() -> None:
    assert reading_report(SIMPLE).hardest == ()


def test_within_target_is_inclusive_and_needs_an_age() -> None:
    low, high = READING_AGE_TARGET

    assert (low, high) == (9, 11)
    assert ReadingReport(age=9.0, words=40, sentences=4, hardest=()).within_target
    assert ReadingReport(age=11.0, words=40, sentences=4, hardest=()).within_target
    assert not ReadingReport(age=11.1, words=40, sentences=4, hardest=()).within_target
    assert not ReadingReport(age=8.9, words=40, sentences=4, hardest=()).within_target
    assert not ReadingReport(age=None, words=4, sentences=1, hardest=()).within_target


@pytest.mark.parametrize("text", [SIMPLE, DENSE])
def test_words_are_counted(text: str) -> None:
    assert reading_report(text).words == len(text.replace("#", "").split())


# --- The library held to its target -----------------------------------------------------------


def _published_files() -> set[str]:
    """Return the slugs of the content files that say they are published."""
    slugs = set()
    for path in CONTENT_DIR.glob("*.md"):
        if path.name == "FORMAT.md":
            continue
        front_matter = path.read_text(encoding="utf-8").split("+++\n", 2)[1]
        meta = tomllib.loads(front_matter)
        if meta["status"] == "published":
            slugs.add(meta["slug"])
    return slugs


@pytest.fixture
def published_articles(request: pytest.FixtureRequest, db: None) -> list[Article]:
    """Return the library as the site publishes it: the lead's fixture once the loader needs an
    approver, the loader itself until then."""
    try:
        request.getfixturevalue("published_library")
    except pytest.FixtureLookupError:
        load_library()
    return list(Article.objects.published().order_by("slug"))


def test_every_published_article_reads_at_age_9_to_11(published_articles: list[Article]) -> None:
    low, high = READING_AGE_TARGET
    # An empty library would pass without measuring anything: every published file is here.
    assert {article.slug for article in published_articles} == _published_files()
    assert len(published_articles) >= 15
    ages = {article.slug: reading_age(article.body) for article in published_articles}

    outside = {slug: age for slug, age in ages.items() if age is None or not low <= age <= high}

    assert not outside, f"Reading age outside {low} to {high}: " + ", ".join(
        f"{slug} {age}" for slug, age in sorted(outside.items())
    )
