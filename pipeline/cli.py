"""The `prep` command line: every subcommand reads the same canonical model."""

import logging
import sys

from rich.markup import escape

from pipeline.cli_app import app, errors
from pipeline.cli_convert import convert
from pipeline.cli_lint import lint
from pipeline.cli_report import report
from pipeline.cli_run import run
from pipeline.errors import PrepError

for command in (report, run, convert, lint):  # the order of `prep --help`
    app.command()(command)


def main() -> None:
    """Entry point: user errors become one line on stderr and exit code 2, never a traceback."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except PrepError as error:
        errors.print(f"[red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
