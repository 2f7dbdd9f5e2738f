"""The `prep` command line: every subcommand reads the same canonical model."""

import sys

from pipeline.memory import return_polars_pages_at_once

return_polars_pages_at_once(sys.argv)  # before the imports below load Polars

import logging  # noqa: E402
import signal  # noqa: E402

from rich.markup import escape  # noqa: E402

from pipeline.cli_app import app, errors  # noqa: E402
from pipeline.cli_convert import convert  # noqa: E402
from pipeline.cli_lint import lint  # noqa: E402
from pipeline.cli_report import report  # noqa: E402
from pipeline.cli_run import run  # noqa: E402
from pipeline.errors import PrepError  # noqa: E402

for command in (report, run, convert, lint):  # the order of `prep --help`
    app.command()(command)


def main() -> None:
    """Entry point: user errors become one line on stderr and exit code 2, never a traceback."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGINT, _interrupted)
    try:
        app()
    except PrepError as error:
        errors.print(f"[red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        sys.exit(2)


def _interrupted(signum: int, frame: object) -> None:
    """Ctrl-C: typer exits 130 without a word; say what is left (every output is written whole or not at all)."""
    errors.print("[yellow]interrupted:[/] no output was written in part (an earlier one is kept as it was); the cache "
                 "keeps what was encoded, which a re-run reads", highlight=False, soft_wrap=True)
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
