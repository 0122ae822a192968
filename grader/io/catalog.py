"""Finding rubrics: a file path, or an id looked up in a folder of rubric files."""

from __future__ import annotations

from pathlib import Path

from .errors import RubricError
from .rubric import Rubric, load_rubric

DEFAULT_RUBRICS_DIR = Path("rubrics")


def rubric_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def load_folder(folder: str | Path) -> dict[str, Rubric]:
    """Every rubric in a folder (recursively), by id. Raises RubricError on a bad file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RubricError(f"{folder}: no such rubric folder; give a folder of rubric .yaml files")
    found: dict[str, Rubric] = {}
    where: dict[str, Path] = {}
    for path in rubric_files(folder):
        rubric = load_rubric(path)
        if rubric.id in found:
            raise RubricError(
                f"{path}: rubric id '{rubric.id}' is already used by {where[rubric.id]}; "
                "give each rubric its own id"
            )
        found[rubric.id] = rubric
        where[rubric.id] = path
    if not found:
        raise RubricError(f"{folder}: holds no rubric .yaml files")
    return found


def resolve(arg: str, rubrics_dir: str | Path | None = None) -> Rubric:
    """A rubric from a file path, or from its id in `rubrics_dir` (default ./rubrics)."""
    path = Path(arg)
    if path.is_file() or path.suffix in {".yaml", ".yml"} or path.is_dir():
        return load_rubric(path)
    folder = Path(rubrics_dir) if rubrics_dir else DEFAULT_RUBRICS_DIR
    if folder.is_dir():
        for p in rubric_files(folder):
            try:
                rubric = load_rubric(p)
            except RubricError:
                continue
            if rubric.id == arg:
                return rubric
    raise RubricError(
        f"unknown rubric '{arg}': no such file, and no rubric with that id in {folder}/; "
        "give the path to a rubric .yaml file"
    )
