"""Rendering a profile: the terminal summary, the self-contained HTML page and their shared histogram bars."""

import re
from pathlib import Path

import pytest
from rich.console import Console

from pipeline.readers import read_dataset
from pipeline.report.display import bucket_histogram, format_number
from pipeline.report.html import bar_chart, render_html
from pipeline.report.profile import profile
from pipeline.report.terminal import render_terminal
from pipeline.report.tokens import load_token_counter

ROWS = [
    {"query": "what is bm25", "pos": ["BM25 ranks documents."], "neg": ["Dune is a novel.", "Mars is red."]},
    {"query": "what is bm25", "pos": ["BM25 uses term frequency."], "neg": ["Paris is in France."]},
    {"query": "who wrote dune", "pos": ["Frank Herbert wrote Dune."], "neg": [f"negative {i}" for i in range(14)]},
    {"query": " who wrote dune", "pos": [" "], "neg": []},
    {"query": "largest planet", "pos": ["Jupiter is the largest planet."], "neg": []},
    {"query": "capital of france", "pos": ["Paris is the capital of France."], "neg": ["Berlin is big."]},
]


@pytest.fixture
def report(write_table, tiny_tokenizer: Path) -> dict:
    return profile(read_dataset(write_table("report <in>.jsonl", ROWS), "flag"), load_token_counter(tiny_tokenizer))


def terminal_text(report: dict) -> str:
    console = Console(record=True, width=120)
    render_terminal(report, console)
    return console.export_text()


def test_terminal_shows_the_key_figures(report: dict) -> None:
    text = terminal_text(report)
    assert "6 rows, 4 distinct queries, 23 distinct documents" in text
    assert report["sources"][0] in text
    for key, label in (("negatives_per_query", "negatives"), ("positives_per_query", "positives")):
        cells = [format_number(report[key][column]) for column in ("min", "p50", "p90", "p99", "max", "mean")]
        assert re.search(rf"{label}\s+│\s+" + r"\s+│\s+".join(map(re.escape, cells)) + r"\s+│", text), label
    assert report["negatives_per_query"]["max"] == 14
    assert "Duplicate queries: 1 exact repeat, 1 more after normalisation" in text
    assert "Empty texts: query 0, positive 1, negative 0" in text
    assert "Text length in tokens" in text and "max_seq_length 8" in text
    assert "Distinct negatives per query" in text and "count of distinct" in text  # texts after normalisation
    for label, n in bucket_histogram(report["negatives_per_query"]["histogram"]):
        assert re.search(rf"^\s*{label}\s+[█▏]*\s+{n}$", text, re.MULTILINE), label


def test_terminal_shows_paths_with_brackets_verbatim(report: dict) -> None:
    report["sources"] = ["data/train[v2].jsonl"]
    assert "data/train[v2].jsonl" in terminal_text(report)


def test_html_is_one_self_contained_document(report: dict) -> None:
    html = render_html(report)
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert html.count("<html") == html.count("<body") == 1
    assert "<svg" in html
    assert "<script" not in html.lower()
    assert not re.search(r"<link|<img|<iframe|\ssrc=|@import|url\(", html)
    assert set(re.findall(r"https?://[^\s\"'<>]*", html)) == {"http://www.w3.org/2000/svg"}


def test_html_shows_the_figures_and_escapes_text(report: dict) -> None:
    html = render_html(report)
    assert "<b>6</b> rows, <b>4</b> distinct queries, <b>23</b> distinct documents" in html
    assert "report &lt;in&gt;.jsonl" in html
    assert "report <in>" not in html
    assert "<td>rows repeating an earlier row's exact query</td><td>1</td>" in html  # rows, not queries
    assert "<td>empty positive texts</td><td>1</td>" in html
    assert "max_seq_length 8" in html and "<h2>Distinct negatives per query</h2>" in html


def test_html_has_the_histogram_bar_labels(report: dict) -> None:
    html = render_html(report)
    for key in ("negatives_per_query", "positives_per_query"):
        for label, n in bucket_histogram(report[key]["histogram"]):
            assert f"<title>{label}: {n}</title>" in html
            assert f">{label}</text>" in html


def test_bar_chart_without_bars() -> None:
    assert bar_chart([]) == "<p class=muted>no queries</p>"


def test_few_values_get_one_bar_each_from_zero() -> None:
    assert bucket_histogram({"0": 2, "3": 1, "5": 4}) == [("0", 2), ("1", 0), ("2", 0), ("3", 1), ("4", 0), ("5", 4)]
    assert bucket_histogram({}) == []


def test_many_values_get_power_of_two_ranges() -> None:
    histogram = {"0": 3, "1": 5, "2": 1, "3": 2, "12": 4, "13": 1, "14": 1, "15": 1, "100": 7, "101": 1, "102": 1,
                 "103": 1, "551": 1}  # 13 values, more than one bar each
    bars = bucket_histogram(histogram)
    assert [label for label, _ in bars] == ["0", "1", "2-3", "4-7", "8-15", "16-31", "32-63", "64-127", "128-255",
                                            "256-511", "512-1023"]
    assert dict(bars) == {"0": 3, "1": 5, "2-3": 3, "4-7": 0, "8-15": 7, "16-31": 0, "32-63": 0, "64-127": 10,
                          "128-255": 0, "256-511": 0, "512-1023": 1}
    assert sum(n for _, n in bars) == sum(histogram.values())


@pytest.mark.parametrize(("value", "text"), [(None, "-"), (2, "2"), (2.0, "2"), (2.5, "2.5"), (1234567, "1,234,567"),
                                             (537.05, "537.0")])
def test_format_number(value: float | None, text: str) -> None:
    assert format_number(value) == text


def test_missing_negatives_are_shown_beside_empty_texts(report: dict) -> None:
    shown = {**report, "missing_negatives": 3}
    assert "Missing negatives: 3" in terminal_text(shown)
    assert "<td>missing negatives (null negative_k cells)</td><td>3</td>" in render_html(shown)
    none = {**report, "missing_negatives": 0}  # a flag file has no negative_k cells to be null
    assert "Missing negatives" not in terminal_text(none) and "missing negatives" not in render_html(none)


def test_one_row_reads_in_the_singular(write_table) -> None:
    one = profile(read_dataset(write_table("one.jsonl", [{"query": "q", "pos": ["p"], "neg": []}]), "flag"), None)
    assert "1 row, 1 distinct query, 1 distinct document" in terminal_text(one)
    assert "<b>1</b> row, <b>1</b> distinct query, <b>1</b> distinct document<br>" in render_html(one)


def test_over_max_seq_length_shows_its_share_of_the_measured_texts(report: dict) -> None:
    # Sampled: 417 of the 5,000 measured texts are over max_seq_length, not 417 of the 5,434 shown beside them.
    shown = {**report, "text_tokens": {**report["text_tokens"], "positive": {
        "texts": 5434, "sampled": True, "measured": 5000, "p50": 300.0, "p90": 600.0, "p99": 900.0, "max": 1149,
        "over_max_seq_length": 417}}}
    assert re.search(r"│ positive\s+│\s+5,434 \(sample 5,000\) │.*│\s+417 \(8\.3%\) │", terminal_text(shown))
    assert "<td>5,434 (sample 5,000)</td>" in render_html(shown)
    assert "<td>417 (8.3%)</td></tr>" in render_html(shown)
    few = {**shown, "text_tokens": {**shown["text_tokens"], "positive": {
        **shown["text_tokens"]["positive"], "over_max_seq_length": 1}}}
    assert "<td>1 (&lt;0.1%)</td>" in render_html(few)
    assert "1 (<0.1%)" in terminal_text(few)


def test_histogram_bars_show_few_large_values_each_and_many_in_ranges() -> None:
    """A file of 79, 98 and 100 negatives per query showed empty bars 0..32-63 and one bar 64-127: it read as one K."""
    assert bucket_histogram({"2": 3, "0": 1}) == [("0", 1), ("1", 0), ("2", 3)]
    assert bucket_histogram({"79": 1, "98": 1, "100": 8}) == [("79", 1), ("98", 1), ("100", 8)]
    assert bucket_histogram({"25": 10}) == [("25", 10)]
    many = {str(value): 1 for value in range(0, 130, 10)}  # 13 values: ranges
    assert bucket_histogram(many) == [("0", 1), ("1", 0), ("2-3", 0), ("4-7", 0), ("8-15", 1), ("16-31", 2),
                                      ("32-63", 3), ("64-127", 6)]
