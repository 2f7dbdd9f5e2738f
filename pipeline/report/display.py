"""What the terminal and HTML renderers share: histogram bars and number formatting."""

MAX_BARS = 12


def bucket_histogram(histogram: dict[str, int]) -> list[tuple[str, int]]:
    """One bar per value from 0 where the values are small; one per value found where there are few of them, however
    large (25 negatives each, or 79, 98 and 100: a range would hide the one K or the ragged few); else one bar per
    power-of-two range."""
    counts = {int(value): n for value, n in histogram.items()}
    if not counts:
        return []
    if max(counts) < MAX_BARS:
        return [(str(value), counts.get(value, 0)) for value in range(max(counts) + 1)]
    if len(counts) <= MAX_BARS:
        return [(str(value), counts[value]) for value in sorted(counts)]
    bars = [("0", counts.get(0, 0))]
    low = 1
    while low <= max(counts):
        high = low * 2 - 1
        label = str(low) if low == high else f"{low}-{high}"
        bars.append((label, sum(n for value, n in counts.items() if low <= value <= high)))
        low *= 2
    return bars


def format_number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def over_max_text(stats: dict) -> str:
    """Texts over max_seq_length with their share of the measured texts (the sample, where one is taken):
    "417 (73.8%)", "0"."""
    over, measured = stats["over_max_seq_length"], stats["measured"]
    if not over:
        return "0"
    share = over / measured
    return f"{over:,} ({'<0.1%' if share < 0.001 else f'{share:.1%}'})"


def tokens_title(tokens: dict) -> str:
    """The token table's title: the model and its max_seq_length, or that it truncates nothing (StaticEmbedding)."""
    limit = tokens["max_seq_length"]
    truncation = "no max_seq_length" if limit is None else f"max_seq_length {limit}"
    prompts = [f"{role} prompt {prompt!r}" for role, prompt in tokens.get("prompts", {}).items() if prompt]
    return f"Text length in tokens ({', '.join([tokens['model'], truncation, *prompts])})"


def split_said(report: dict) -> str:
    """After the sources: the split read from a folder of splits (and its files and the splits left, where the file
    names say them), and a BEIR folder's rows, which are its queries."""
    if "qrels" in report:
        return f" ({report['qrels']}: a row is a query)"
    if "files" in report:
        others = f"; other splits, not read: {', '.join(report['other_splits'])}" if report["other_splits"] else ""
        return f" (split {report['split']}: {', '.join(report['files'])}{others})"
    return f" (split {report['split']})" if "split" in report else ""
