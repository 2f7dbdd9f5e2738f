"""The `prep` command line: every subcommand reads the same canonical model."""

import sys

from pipeline.memory import return_polars_pages_at_once

return_polars_pages_at_once(sys.argv)  # before the imports below load Polars

import functools  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402

from rich.markup import escape  # noqa: E402

from pipeline.cli_app import app, errors  # noqa: E402
from pipeline.cli_convert import convert  # noqa: E402
from pipeline.cli_lint import lint  # noqa: E402
from pipeline.cli_report import report  # noqa: E402
from pipeline.cli_run import run  # noqa: E402
from pipeline.errors import PrepError  # noqa: E402
from pipeline.publish import UPLOADING  # noqa: E402
from pipeline.stages.write import PUBLISHED  # noqa: E402

for command in (report, run, convert, lint):  # the order of `prep --help`
    app.command()(command)


SIGNALLED: list[int] = []  # the signals this call of main() got
LEFT = ("a local output folder is written whole or not at all (an earlier one is kept as it was); the cache keeps "
        "what was encoded, which a re-run reads")


def main() -> None:
    """Entry point: user errors become one line on stderr and exit code 2, never a traceback."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    SIGNALLED.clear()  # per call: a notebook, a test or a library may call main() again
    PUBLISHED.clear()
    UPLOADING.clear()
    before = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, functools.partial(_interrupted, os.getpid()))
    signal.signal(signal.SIGTERM, functools.partial(_terminated, os.getpid()))
    try:
        app()
    except PrepError as error:
        errors.print(f"[red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except BaseException:
        # A signal that came during an import arrives wrapped (RuntimeError from __set_name__, transformers'
        # ModuleNotFoundError): the handler has said what is left; exit as the signal says, without the chain.
        if SIGNALLED:
            sys.exit(128 + SIGNALLED[0])
        raise
    finally:
        for number, handler in before.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)


def _left() -> str:
    if PUBLISHED:  # the signal came after the swap: the new output is there
        return f"{PUBLISHED[-1]} was written in full before it"
    if UPLOADING:
        return (f"{UPLOADING[-1]} was being uploaded: it has no manifest.json, and the next run to it replaces what "
                "it holds")
    return LEFT


def _interrupted(main_pid: int, signum: int, frame: object) -> None:
    """Ctrl-C: typer exits 130 without a word; say what is left. Forked tokenizer workers inherit the handler and
    the signal (a terminal sends it to the process group): only the main process speaks."""
    if os.getpid() == main_pid:
        SIGNALLED.append(signum)
        errors.print(f"[yellow]interrupted:[/] {_left()}", highlight=False, soft_wrap=True)
    raise KeyboardInterrupt


def _terminated(main_pid: int, signum: int, frame: object) -> None:
    """SIGTERM (`timeout`, Slurm, Kubernetes, systemd): unwind as Ctrl-C does, so that the partial output folder is
    removed, and exit 143. A forked worker, which a pool stops with SIGTERM, dies at once as it did before."""
    if os.getpid() != main_pid:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    # A process-group SIGTERM (scancel, systemd) kills the DataLoader's workers too: torch's SIGCHLD handler would
    # raise about each while the run unwinds.
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    SIGNALLED.append(signum)
    errors.print(f"[yellow]terminated:[/] {_left()}", highlight=False, soft_wrap=True)
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    main()
