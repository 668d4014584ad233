"""Measure how easy an article is to read: its reading age, as the editor writes and in tests.

The measure is the Flesch-Kincaid grade, computed over the text a reader actually sees: the
Markdown is rendered by the portal's own renderer first, so link addresses, heading marks and
emphasis never count as words, and each heading, list item, table cell and paragraph is a
sentence of its own (a bulleted list without full stops would otherwise read as one huge
sentence and score as a university text).

Flesch-Kincaid gives a US school grade. A UK "reading age" is that grade plus 5: US grade 1 is
taught to children of about 6, so a text a US fifth-grader (aged 10 to 11) can read has a reading
age of about 10. The NHS aims its patient information at a reading age of 9 to 11, and so does
this library (READING_AGE_TARGET).
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import textstat  # type: ignore[import-untyped]

from education.markdown import render_markdown

READING_AGE_TARGET = (9, 11)
# Fewer words than this say nothing reliable about a text's difficulty.
MIN_WORDS = 30
# A US school grade plus this is the UK reading age (US grade 1 starts at age 6).
GRADE_TO_AGE = 5
HARDEST_COUNT = 3

# Each of these is read as a unit of its own, ending a sentence.
_BLOCK_TAGS = {
    "blockquote", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "li", "p", "pre", "td", "th",
}  # fmt: skip
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*$")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_TRAILING_PAUSE = re.compile(r"[\s:;,\u2013\u2014-]+$")


@dataclass(frozen=True)
class ReadingReport:
    """What the editor is shown: the reading age and what to fix first.

    `age` is None when there are too few words to judge. `hardest` holds up to three sentences
    that read above the target on their own, those with the most syllables first, since a
    sentence is hard when it is long, when its words are long, or both.
    """

    age: float | None
    words: int
    sentences: int
    hardest: tuple[str, ...]

    @property
    def within_target(self) -> bool:
        """Return whether the age is known and inside READING_AGE_TARGET (inclusive)."""
        low, high = READING_AGE_TARGET
        return self.age is not None and low <= self.age <= high


class _BlockText(HTMLParser):
    """Collect the text of each block of rendered HTML, one string per block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._flush()
        elif tag == "br":
            self._buffer.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        self._buffer.append(data)

    def close(self) -> None:
        super().close()
        self._flush()

    def _flush(self) -> None:
        text = " ".join("".join(self._buffer).split())
        self._buffer = []
        if text:
            self.blocks.append(text)


def plain_sentences(markdown: str) -> list[str]:
    """Return the sentences a reader sees in the Markdown, each block ending as a sentence."""
    parser = _BlockText()
    parser.feed(render_markdown(markdown))
    parser.close()
    sentences: list[str] = []
    for block in parser.blocks:
        if not _SENTENCE_END.search(block):
            block = _TRAILING_PAUSE.sub("", block) + "."
        sentences.extend(part for part in _SENTENCE_BREAK.split(block) if _count_words(part))
    return sentences


def _count_words(text: str) -> int:
    return int(textstat.lexicon_count(text))


def _count_syllables(text: str) -> int:
    return int(textstat.syllable_count(text))


def flesch_kincaid_grade(*, words: int, sentences: int, syllables: int) -> float:
    """Return the Flesch-Kincaid US grade for the counts."""
    return 0.39 * words / sentences + 11.8 * syllables / words - 15.59


def _sentence_age(words: int, syllables: int) -> float:
    return flesch_kincaid_grade(words=words, sentences=1, syllables=syllables) + GRADE_TO_AGE


def reading_report(markdown: str) -> ReadingReport:
    """Return the reading age of the Markdown, its counts and its hardest sentences.

    The formula is Flesch-Kincaid over textstat's word and syllable counts, with the sentences
    split here: textstat's own splitter ignores sentences of one or two words, so a short heading
    would add its words but not count as a sentence.
    """
    sentences = plain_sentences(markdown)
    counted = [
        (sentence, _count_words(sentence), _count_syllables(sentence)) for sentence in sentences
    ]
    words = sum(count for _, count, _ in counted)
    too_hard = [item for item in counted if _sentence_age(*item[1:]) > READING_AGE_TARGET[1]]
    hardest = sorted(too_hard, key=lambda item: item[2], reverse=True)[:HARDEST_COUNT]
    age = None
    if words >= MIN_WORDS:
        grade = flesch_kincaid_grade(
            words=words,
            sentences=len(sentences),
            syllables=sum(syllables for _, _, syllables in counted),
        )
        age = round(grade + GRADE_TO_AGE, 1)
    return ReadingReport(
        age=age,
        words=words,
        sentences=len(sentences),
        hardest=tuple(sentence for sentence, _, _ in hardest),
    )


def reading_age(markdown: str) -> float | None:
    """Return the UK reading age of the Markdown (Flesch-Kincaid grade + 5), None if too short."""
    return reading_report(markdown).age
