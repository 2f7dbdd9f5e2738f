"""Findings for people (a rich table with the fix under each finding) and for scripts (a JSON list)."""

import json

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.lint.rule import ERROR
from pipeline.lint.runner import LintResult
from pipeline.wording import counted

SHOWN_IN_TABLE = 5  # row numbers per finding in the terminal; the JSON has up to 20


def render_terminal(result: LintResult, console: Console, strict: bool = False) -> None:
    for table in result.tables:
        lines = f"; findings name lines of {escape(table['lines_of'])}" if table["lines_of"] else ""
        rows = counted(table["rows"], "row", "rows")
        console.print(f"[bold]{escape(table['source'])}[/]: {rows}, layout {table['layout']}{lines}")
    if not result.findings:
        console.print("[green]no problems found[/]")
        return
    grid = Table(show_lines=True)
    for column in ("severity", "rule", "rows", "message and fix"):
        grid.add_column(column, justify="right" if column == "rows" else "left", overflow="fold")
    several = len(result.tables) > 1
    for finding in result.findings:
        colour = "red" if finding.severity == ERROR or strict else "yellow"
        shown = ", ".join(map(str, finding.rows[:SHOWN_IN_TABLE]))
        more = ", ..." if finding.count > len(finding.rows[:SHOWN_IN_TABLE]) and finding.rows else ""
        rows = f"{finding.count:,}" + (f"\n{shown}{more}" if shown else "")
        where = f"[dim]{escape(finding.source)}[/]\n" if several else ""
        grid.add_row(f"[{colour}]{finding.severity}[/]", finding.rule, rows,
                     f"{where}{escape(finding.message)}\n[dim]fix:[/] {escape(finding.fix)}")
    console.print(grid)
    errors = sum(1 for finding in result.findings if finding.severity == ERROR)
    warnings = len(result.findings) - errors
    strictly = " (--strict: warnings count as errors)" if strict and warnings else ""
    console.print(f"{counted(errors, 'error', 'errors')}, {counted(warnings, 'warning', 'warnings')}{strictly}")


def render_json(result: LintResult) -> str:
    return json.dumps([finding.to_json() for finding in result.findings], indent=2) + "\n"
