"""Render a profile for the terminal with rich: tables and text histograms."""

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from pipeline.report.display import bucket_histogram, format_number, over_max_text, split_said, tokens_title
from pipeline.wording import plural

BAR_WIDTH = 40


def render_terminal(report: dict, console: Console) -> None:
    rows, queries, docs = report["rows_in"], report["queries"], report["docs"]
    console.print(Panel(
        f"[bold]{rows:,}[/] {plural(rows, 'row', 'rows')}, [bold]{queries:,}[/] distinct "
        f"{plural(queries, 'query', 'queries')}, [bold]{docs:,}[/] distinct {plural(docs, 'document', 'documents')}\n"
        + escape(", ".join(report["sources"])) + split_said(report),
        title="prep report", expand=False))
    if "split_names_warning" in report:
        console.print(f"[yellow]warning:[/] {escape(report['split_names_warning'])}")
    console.print(_distribution_table(report))
    for key, title in (("negatives_per_query", "Distinct negatives per query"),
                       ("positives_per_query", "Distinct positives per query")):
        console.print(_histogram(report[key]["histogram"], title))
    dup, empty = report["duplicate_queries"], report["empty_texts"]
    console.print(f"Duplicate queries: [bold]{dup['exact']:,}[/] exact {plural(dup['exact'], 'repeat', 'repeats')}, "
                  f"[bold]{dup['normalized']:,}[/] more after normalisation (case kept, invisible characters, "
                  "Unicode NFKC, whitespace)")
    console.print("Empty texts: " + ", ".join(f"{role} [bold]{n:,}[/]" for role, n in empty.items()))
    if report["missing_negatives"]:  # only st tables have negative_k cells
        console.print(f"Missing negatives: [bold]{report['missing_negatives']:,}[/] null negative_k cells, read as "
                      "negatives the row lacks")
    if "text_tokens" in report:
        console.print(_tokens_table(report["text_tokens"]))


def _distribution_table(report: dict) -> Table:
    table = Table(title="Per distinct query", title_justify="left")
    table.add_column("count of distinct")
    for column in ("min", "p50", "p90", "p99", "max", "mean"):
        table.add_column(column, justify="right")
    for key, label in (("negatives_per_query", "negatives"), ("positives_per_query", "positives")):
        stats = report[key]
        table.add_row(label, *(format_number(stats[column]) for column in ("min", "p50", "p90", "p99", "max", "mean")))
    return table


def _histogram(histogram: dict[str, int], title: str) -> Group | Table:
    bars = bucket_histogram(histogram)
    table = Table(title=title, title_justify="left", box=None, show_header=False, pad_edge=False)
    table.add_column(justify="right", style="cyan")
    table.add_column()
    table.add_column(justify="right")
    peak = max((n for _, n in bars), default=0) or 1
    for label, n in bars:
        table.add_row(label, "█" * round(BAR_WIDTH * n / peak) or ("▏" if n else ""), f"{n:,}")
    return table


def _tokens_table(tokens: dict) -> Table:
    table = Table(title=escape(tokens_title(tokens)),
                  title_justify="left")
    for column in ("role", "texts", "p50", "p90", "p99", "max", "over max_seq_length"):
        table.add_column(column, justify="left" if column == "role" else "right")
    for role in ("query", "positive", "negative"):
        stats = tokens[role]
        texts = f"{stats['texts']:,}" + (f" (sample {stats['measured']:,})" if stats["sampled"] else "")
        over = over_max_text(stats)
        table.add_row(role, texts, *(format_number(stats[key]) for key in ("p50", "p90", "p99", "max")),
                      f"[red]{over}[/]" if stats["over_max_seq_length"] else over)
    return table

