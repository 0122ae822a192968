"""grader: check a student's written science answer against a teacher's rubric.

The public names load lazily, so `grader --version` and the command line's
help start without importing spaCy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Checker", "Feedback", "Rubric", "load_rubric"]

_HOMES = {"Checker": "checker", "Feedback": "feedback", "Rubric": "rubric", "load_rubric": "rubric"}

if TYPE_CHECKING:
    from .checker import Checker
    from .feedback import Feedback
    from .rubric import Rubric, load_rubric


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'grader' has no attribute '{name}'")
    import importlib

    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
