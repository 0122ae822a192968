"""The class report: self-contained, escaped, anonymous where it should be, and right about the class."""

from __future__ import annotations

import re

import pytest
from test_batch import RUBRICS, SAMPLE, SEED, STRONG, read_csv, write_csv

from grader.batch import Outputs, RubricSet, run_batch
from grader.feedback import Feedback
from grader.reports import class_report, class_summary
from grader.reports.class_report import highlight, write_report
from grader.reports.class_summary import ClassSummary, excerpt
from grader.reports.terminal import class_summary_text
from grader.rubric import load_rubric

HOSTILE = [
    ("x1", "ap-bio/membrane-potential", '<script>alert("x")</script> The pump uses ATP to move Na+ out.'),
    (
        "x2",
        "ap-bio/membrane-potential",
        "<img src=x onerror=alert(1)> Diffusion alone sets up the resting potential.",
    ),
    ("x3", "ap-bio/synaptic-transmission", "Calcium & vesicles </mark><b>bold</b> release ACh."),
]


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    """The report of the bundled sample class plus three hostile answers."""
    tmp = tmp_path_factory.mktemp("report")
    rows = [[r["id"], r["question"], r["answer"]] for r in read_csv(SAMPLE)] + [list(h) for h in HOSTILE]
    src = write_csv(tmp / "class.csv", ["id", "question", "answer"], rows)
    summary = ClassSummary()
    outputs = Outputs.beside(tmp / "scores.csv")
    run_batch(RubricSet.from_arg(str(RUBRICS)), src, outputs, sinks=[summary])
    path = write_report(summary, outputs.jsonl, tmp / "report.html", source="class.csv")
    return path.read_text(encoding="utf-8"), summary, outputs


def test_the_report_is_self_contained(sample_report):
    html, _, _ = sample_report
    assert "<script" not in html.lower()
    assert not re.search(r"<link\b|@import|url\((?!#)|<[^>]*\ssrc=", html)  # url(#clip) is in the page
    # the only URLs are the SVG namespaces, which are names, not downloads
    urls = set(re.findall(r"https?://[^\s\"'<>]+", html))
    namespaces = {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
        "http://purl.org/dc/elements/1.1/",
        "http://creativecommons.org/ns#",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    }
    assert urls <= namespaces
    assert "default-src 'none'" in html  # and the browser is told to fetch nothing


def test_student_text_is_escaped_everywhere(sample_report):
    html, _, _ = sample_report
    assert "&lt;script&gt;alert(" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;/mark&gt;&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>bold</b>" not in html and "<img" not in html


def test_charts_are_inline_svg_with_text_kept_as_text(sample_report):
    html, summary, _ = sample_report
    assert len(summary.questions) == 2
    assert html.count("<svg") == 2 * len(summary.questions)  # distribution + coverage per question
    assert "<text" in html and "font-family" in html
    assert not re.search(r'<path id="DejaVu', html)  # glyphs would mean fonttype 'path'


def test_one_section_per_question_with_an_overview(sample_report):
    html, _, _ = sample_report
    assert 'id="q-ap-bio-membrane-potential"' in html and 'id="q-ap-bio-synaptic-transmission"' in html
    assert "<h2>Overview</h2>" in html
    assert html.count("<h3>Score distribution</h3>") == 2


def test_every_student_link_leads_to_an_answer(sample_report):
    html, summary, _ = sample_report
    links = re.findall(r'<a href="#(a\d+)">', html)
    anchors = set(re.findall(r'<article class="answer" id="(a\d+)"', html))
    assert len(links) == len(anchors) == summary.n
    assert set(links) == anchors


def test_misconception_excerpts_are_anonymous(sample_report):
    html, _, outputs = sample_report
    ids = {r["id"] for r in read_csv(outputs.csv)}
    blocks = re.findall(r"<h3>Misconceptions.*?<h3>Students</h3>", html, flags=re.S)
    assert len(blocks) == 2
    quotes = [q for b in blocks for q in re.findall(r"<blockquote>(.*?)</blockquote>", b, flags=re.S)]
    assert quotes, "the sample states misconceptions, so there are excerpts"
    for block in blocks:
        words = set(re.findall(r"[\w-]+", re.sub(r"<[^>]+>", " ", block)))
        assert not words & ids
    assert any("diffusion alone" in q.lower() for q in quotes)


def test_evidence_is_highlighted_in_the_answers(sample_report):
    html, _, _ = sample_report
    assert '<mark class="c0" title="ATP supplies the energy (phrase: ATP)">ATP</mark>' in html
    assert re.search(r'<mark class="mis" title="misconception: diffusion_sets_potential">', html)
    assert re.search(r'<mark class="cue" title="reasoning: [^"]+">', html)


def test_most_missed_comes_first(sample_report):
    _, summary, _ = sample_report
    for q in summary.questions.values():
        shares = [i.share for i in q.items()]
        assert shares == sorted(shares)
        assert len(q.items()) == len(q.rubric.concepts) + len(q.rubric.links)
    text = class_summary_text(summary)
    assert "most missed:" in text and "misconceptions:" in text


def test_the_class_numbers_match_the_scores_file(sample_report):
    _, summary, outputs = sample_report
    rows = read_csv(outputs.csv)
    for rid, q in summary.questions.items():
        mine = [r for r in rows if r["rubric"] == rid]
        assert q.n == len(mine)
        assert q.mean == pytest.approx(sum(float(r["score"]) for r in mine) / len(mine))
        prefix = rid.rsplit("/", 1)[-1] + ": "
        for item in q.items():
            assert item.shown == sum(r[prefix + item.key] == "1" for r in mine), item.key


def test_one_question_has_no_overview_and_a_large_class_is_capped_with_a_link_to_the_csv(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(class_report, "MAX_STUDENTS", 3)
    src = write_csv(tmp_path / "c.csv", ["id", "answer"], [[f"s{i}", STRONG] for i in range(5)])
    summary = ClassSummary()
    (tmp_path / "out").mkdir()
    outputs = Outputs.beside(tmp_path / "out" / "s.csv")
    run_batch(RubricSet.from_arg(str(SEED)), src, outputs, sinks=[summary])
    html = write_report(summary, outputs.jsonl, tmp_path / "r.html", scores_csv=outputs.csv).read_text()
    assert "Overview" not in html
    assert html.count('<article class="answer"') == 3
    # every row of the table links to its answer; the students past the cap are in the CSV
    assert len(re.findall(r'<a href="#a\d+">', html)) == 3 and "s4" not in html
    assert "2 more answers to this question are not listed" in html
    assert "lists the first 3 answers of 5 answers" in html
    assert html.count('<a href="out/s.csv">s.csv</a>') == 2
    # the counts and charts still cover the whole class
    assert '<span class="big">5</span><span>answers</span>' in html


EXCERPTS = [
    # (answer, hit, expected before, expected after)
    (
        "First point. The pump runs by diffusion alone, sadly. Next.",
        "diffusion alone",
        "The pump runs by ",
        ", sadly.",
    ),
    ("Diffusion alone sets it up", "Diffusion alone", "", " sets it up"),
    ("No stop here\nbecause diffusion alone\nnew line", "diffusion alone", "because ", ""),
    ("word " * 100 + "diffusion alone " + "word " * 100, "diffusion alone", "…word ", "word…"),
]


@pytest.mark.parametrize(("answer", "hit", "before", "after"), EXCERPTS)
def test_excerpt_is_the_sentence_around_the_hit(answer, hit, before, after):
    start = answer.index(hit)
    ex = excerpt(answer, start, start + len(hit))
    assert ex.hit == hit
    assert ex.before.startswith(before) if before.startswith("…") else ex.before == before
    assert ex.after.endswith(after) if after.endswith("…") else ex.after == after
    assert len(ex.before + ex.hit + ex.after) <= class_summary.EXCERPT_CHARS + 10


def test_highlight_escapes_and_resolves_overlaps():
    rubric = load_rubric(SEED)
    answer = "<b>ATP</b> & the pump"
    fb = Feedback.model_validate(
        {
            "rubric": rubric.id,
            "pipeline": "test",
            "score": 1,
            "max_score": 9,
            "concepts": [
                {
                    "id": "atp",
                    "label": "ATP",
                    "status": "present",
                    "evidence": [{"start": 3, "end": 6, "text": "ATP", "rule": "phrase: ATP"}],
                },
                {
                    "id": "active_transport",
                    "label": "pump",
                    "status": "negated",
                    "note": "in a negative",
                    "evidence": [{"start": 17, "end": 21, "text": "pump", "rule": "phrase: pump"}],
                },
            ],
            "links": [],
            # a misconception over the same words as a concept wins the highlight
            "misconceptions": [
                {
                    "id": "m",
                    "feedback": "f",
                    "evidence": [{"start": 13, "end": 21, "text": "the pump", "rule": "x"}],
                }
            ],
            "feedback": [],
        }
    )
    html = str(highlight(answer, fb, rubric))
    assert html == (
        '&lt;b&gt;<mark class="c0" title="ATP supplies the energy (phrase: ATP)">ATP</mark>&lt;/b&gt; &amp; '
        '<mark class="mis" title="misconception: m">the pump</mark>'
    )
