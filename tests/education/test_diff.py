"""What a revision changes, shown word by word (education.diff)."""

from education.diff import as_text, changes, word_diff


def test_changed_words_next_to_each_other_read_as_one_change() -> None:
    assert word_diff("Use a warm towel.", "Use a heat pack.") == (
        "Use a <del>warm towel</del><ins>heat pack</ins>."
    )


def test_added_and_removed_words_alone() -> None:
    assert word_diff("Rest.", "Rest, then walk.") == "Rest<ins>, then walk</ins>."
    assert word_diff("Rest, then walk.", "Rest.") == "Rest<del>, then walk</del>."


def test_the_text_is_escaped_so_markup_in_a_draft_shows_as_text() -> None:
    html = word_diff("", "<script>alert(1)</script>")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_line_breaks_are_kept_and_nothing_is_cut() -> None:
    long = "\n".join(f"Line {number}." for number in range(3000))
    assert word_diff("", long).count("\n") == 2999
    assert "Line 2999." in word_diff(long, long + " More.")


def test_only_the_fields_that_differ_are_listed_with_their_labels() -> None:
    before = {"title": "Heat", "body": "Warm.", "sources": [], "related": ["a"]}
    after = {
        "title": "Heat",
        "body": "Warmer.",
        "sources": [{"title": "Back pain", "publisher": "NHS", "year": 2023, "url": ""}],
        "related": ["a"],
    }

    found = changes(before, after)

    assert [(change.field, str(change.label)) for change in found] == [
        ("body", "Body"),
        ("sources", "Sources"),
    ]
    assert found[1].html == "<ins>Back pain. NHS, 2023.</ins>"


def test_steps_show_their_drawings_and_descriptions() -> None:
    steps = [
        {"text": "Lie down.", "drawing": "", "alt": ""},
        {"text": "Lift.", "drawing": "img/a.svg", "alt": "Hips up."},
    ]
    assert as_text("steps", steps) == "1. Lie down.\n2. Lift.\n   [img/a.svg: Hips up.]"
    assert as_text("needs_professional_review", True) == "yes"
