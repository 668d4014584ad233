import pytest

from education.markdown import render_markdown


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("<script>alert('x')</script>", "<script"),
        ("<script>alert('x')</script>", "alert("),
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ('<a href="javascript:alert(1)">click</a>', "javascript:"),
        ("[click](javascript:alert(1))", 'href="javascript:'),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "data:"),
        ('<p style="position:fixed">covered</p>', "style="),
        ('<svg onload="alert(1)"><circle/></svg>', "<svg"),
        ('<iframe src="https://example.org"></iframe>', "<iframe"),
        ("<p onclick='steal()'>tap</p>", "onclick"),
        ('<form action="/x"><input name="p"></form>', "<input"),
    ],
)
def test_dangerous_markup_is_stripped(source: str, forbidden: str) -> None:
    assert forbidden not in render_markdown(source)


def test_headings_lists_links_and_emphasis_are_kept() -> None:
    html = render_markdown(
        "## Heat\n\nUse *gentle* heat and **stop** if it hurts.\n\n"
        "- a towel\n- a heat pack\n\n1. wrap it\n2. check your skin\n\n"
        "[NHS advice](https://www.nhs.uk/conditions/back-pain/)"
    )
    assert "<h2>Heat</h2>" in html
    assert "<em>gentle</em>" in html
    assert "<strong>stop</strong>" in html
    assert "<ul>" in html and "<li>a towel</li>" in html
    assert "<ol>" in html and "<li>wrap it</li>" in html
    assert '<a href="https://www.nhs.uk/conditions/back-pain/" rel="noopener noreferrer">' in html


def test_relative_links_between_articles_are_kept() -> None:
    html = render_markdown("[when to get help](/articles/when-to-get-help/)")
    assert 'href="/articles/when-to-get-help/"' in html


def test_text_of_stripped_tags_is_not_lost() -> None:
    assert "covered" in render_markdown('<p style="color:red">covered</p>')
