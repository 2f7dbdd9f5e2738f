"""How a stage runs its independent pieces of work: `run_here` loops in this process; the Ray engine runs each
piece as a task (pipeline/engines/ray_engine.py). Results come back in the order of the items either way."""

from collections.abc import Callable
from typing import Any

# (task(item, shared), items, shared) -> [task(item, shared) for item in items]; `shared` travels once.
TaskMap = Callable[[Callable[[Any, Any], Any], list, Any], list]


def run_here(task: Callable[[Any, Any], Any], items: list, shared: Any) -> list:
    return [task(item, shared) for item in items]
