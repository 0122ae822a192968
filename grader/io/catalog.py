"""Finding rubrics: a file path, or an id (whole or its last part) looked up in a folder of rubric files."""

from __future__ import annotations

from pathlib import Path

from ..errors import RubricError
from ..rubric import Rubric, load_rubric

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
    """A rubric from a file path, or from its id in `rubrics_dir` (default ./rubrics).

    The id may be given whole (`ap-bio/membrane-potential`) or by its last part
    (`membrane-potential`) when no other rubric there ends the same way, in any case.
    """
    path = Path(arg)
    if path.is_file() or path.suffix in {".yaml", ".yml"} or path.is_dir():
        return load_rubric(path)
    folder = Path(rubrics_dir) if rubrics_dir else DEFAULT_RUBRICS_DIR
    found: dict[str, Rubric] = {}
    if folder.is_dir():
        for p in rubric_files(folder):
            try:
                rubric = load_rubric(p)
            except RubricError:
                continue
            found.setdefault(rubric.id, rubric)
    wanted = arg.strip().lower()
    exact = [r for rid, r in found.items() if rid.lower() == wanted]
    short = [r for rid, r in found.items() if rid.rsplit("/", 1)[-1].lower() == wanted]
    if exact:
        return exact[0]
    if len(short) == 1:
        return short[0]
    if len(short) > 1:
        raise RubricError(
            f"rubric '{arg}' is ambiguous in {folder}/: {', '.join(r.id for r in short)}; give the whole id"
        )
    ids = sorted(found)
    listed = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
    known = f"the rubrics there are {listed}" if ids else "it holds no rubric"
    raise RubricError(
        f"unknown rubric '{arg}': no such file, and no rubric with that id in {folder}/ ({known}); "
        "give a rubric id or the path to a rubric .yaml file"
    )
