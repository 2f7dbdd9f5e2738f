"""Render a profile as one self-contained HTML page: inline CSS and SVG charts, no scripts, no network."""

import json
from html import escape

from pipeline.report.display import bucket_histogram, format_number, over_max_text, split_said, tokens_title
from pipeline.wording import plural

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0; } td, th { padding: .25rem .75rem; text-align: right; }
th { border-bottom: 1px solid #999; } td:first-child, th:first-child { text-align: left; }
.muted { color: #666; } svg text { font: 12px system-ui, sans-serif; fill: #333; } .bar { fill: #3b6ea8; }
details pre { background: #f5f5f5; padding: 1rem; overflow: auto; }
"""


def render_html(report: dict) -> str:
    rows, queries, docs = report["rows_in"], report["queries"], report["docs"]
    sections = [
        f"<h1>prep report</h1><p><b>{rows:,}</b> {plural(rows, 'row', 'rows')}, <b>{queries:,}</b> distinct "
        f"{plural(queries, 'query', 'queries')}, <b>{docs:,}</b> distinct {plural(docs, 'document', 'documents')}<br>"
        "<span class=muted>"
        f"{escape(', '.join(report['sources']) + split_said(report))}</span></p>",
        _distribution_table(report),
        *(f"<h2>Distinct {role} per query</h2>" + bar_chart(bucket_histogram(report[f"{role}_per_query"]["histogram"]))
          for role in ("negatives", "positives")),
        _duplicates_and_empty(report),
    ]
    if "split_names_warning" in report:
        sections.insert(1, f"<p><b>warning:</b> {escape(report['split_names_warning'])}</p>")
    if "text_tokens" in report:
        sections.append(_tokens(report["text_tokens"]))
    sections.append(f"<details><summary>JSON</summary><pre>{escape(json.dumps(report, indent=2))}</pre></details>")
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>prep report</title>"
            f"<style>{_STYLE}</style></head><body>{''.join(sections)}</body></html>\n")


def bar_chart(bars: list[tuple[str, int]], width: int = 720, height: int = 220) -> str:
    """A vertical bar chart as inline SVG, one labelled bar per (label, count)."""
    if not bars:
        return "<p class=muted>no queries</p>"
    top, bottom, left = 20, 40, 10
    peak = max(n for _, n in bars) or 1
    slot = (width - left) / len(bars)
    parts = []
    for index, (label, n) in enumerate(bars):
        bar_height = (height - top - bottom) * n / peak
        x, y = left + index * slot, height - bottom - bar_height
        parts.append(
            f'<rect class=bar x="{x + slot * 0.1:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" '
            f'height="{bar_height:.1f}"><title>{escape(label)}: {n:,}</title></rect>'
            f'<text x="{x + slot / 2:.1f}" y="{y - 4:.1f}" text-anchor=middle>{n:,}</text>'
            f'<text x="{x + slot / 2:.1f}" y="{height - bottom + 16:.1f}" text-anchor=middle>{escape(label)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role=img>'
            f"{''.join(parts)}</svg>")


def _distribution_table(report: dict) -> str:
    columns = ("min", "p50", "p90", "p99", "max", "mean")
    rows = "".join(
        f"<tr><td>{label}</td>" + "".join(f"<td>{format_number(report[key][c])}</td>" for c in columns) + "</tr>"
        for key, label in (("negatives_per_query", "negatives"), ("positives_per_query", "positives")))
    header = "".join(f"<th>{c}</th>" for c in columns)
    return f"<h2>Per distinct query</h2><table><tr><th>count of distinct</th>{header}</tr>{rows}</table>"


def _duplicates_and_empty(report: dict) -> str:
    dup, empty = report["duplicate_queries"], report["empty_texts"]
    cells = "".join(f"<tr><td>empty {role} texts</td><td>{n:,}</td></tr>" for role, n in empty.items())
    if report["missing_negatives"]:  # only st tables have negative_k cells
        cells += (f"<tr><td>missing negatives (null negative_k cells)</td><td>{report['missing_negatives']:,}</td>"
                  "</tr>")
    return (f"<h2>Duplicates and empty texts</h2><table><tr><td>rows repeating an earlier row's exact query</td>"
            f"<td>{dup['exact']:,}</td></tr><tr><td>more such rows after normalisation</td>"
            f"<td>{dup['normalized']:,}</td></tr>{cells}</table>")


def _tokens(tokens: dict) -> str:
    header = "".join(f"<th>{c}</th>" for c in ("role", "texts", "p50", "p90", "p99", "max", "over max_seq_length"))
    rows = ""
    for role in ("query", "positive", "negative"):
        stats = tokens[role]
        texts = f"{stats['texts']:,}" + (f" (sample {stats['measured']:,})" if stats["sampled"] else "")
        values = "".join(f"<td>{format_number(stats[k])}</td>" for k in ("p50", "p90", "p99", "max"))
        rows += f"<tr><td>{role}</td><td>{texts}</td>{values}<td>{escape(over_max_text(stats))}</td></tr>"
    title = escape(tokens_title(tokens))
    return f"<h2>{title}</h2><table><tr>{header}</tr>{rows}</table>"

