"""The layers of the package: each module imports only from its own layer or the ones below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "grader"

# lowest first; a module belongs to the first entry its dotted name starts with
LAYERS = [
    ("data and rules", ["errors", "answers", "budget", "pattern_safety", "rubric", "feedback", "record"]),
    ("files", ["io"]),
    ("the checker", ["nlp", "parts", "scoring", "explain", "checker"]),
    ("what people read", ["reports"]),
    (
        "workflows",
        ["checking", "examples", "evaluate", "trials", "suggest", "draft", "calibration", "batch"],
    ),
    ("faces", ["cli", "web"]),
]


def layer_of(module: str) -> int:
    for level, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return level
    raise AssertionError(f"grader.{module} belongs to no layer; add it to LAYERS")


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            found.append((".".join(parts), path))
    return found


def imports(module: str, path: Path) -> list[str]:
    """The grader modules this one imports (relative or absolute), by dotted name under grader."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
                names = [f"{target}.{a.name}" if target else a.name for a in node.names]
            elif node.module and node.module.startswith("grader"):
                target = node.module.removeprefix("grader").lstrip(".")
                names = [f"{target}.{a.name}" if target else a.name for a in node.names]
            else:
                continue
            for name in names:
                # `from .reports import numbers` names a module; `from .rubric import Rubric` a class
                parts = name.split(".")
                while parts and not (
                    PACKAGE.joinpath(*parts).with_suffix(".py").exists()
                    or (PACKAGE.joinpath(*parts) / "__init__.py").exists()
                ):
                    parts = parts[:-1]  # fmt: skip
                if parts:
                    out.append(".".join(parts))
        elif isinstance(node, ast.Import):
            out += [a.name.removeprefix("grader.") for a in node.names if a.name.startswith("grader.")]
    return out


MODULES = [(m, p) for m, p in modules() if m != "__init__"]


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_no_module_imports_from_a_layer_above_its_own(module, path):
    mine = layer_of(module)
    upward = [
        f"{target} ({LAYERS[layer_of(target)][0]})"
        for target in imports(module, path)
        if layer_of(target) > mine
    ]
    assert not upward, f"grader.{module} ({LAYERS[mine][0]}) imports from above: {', '.join(upward)}"


def test_the_layers_hold_every_module():
    for module, _ in MODULES:
        layer_of(module)


def test_the_package_itself_loads_nothing_heavy():
    """`grader --version` must not import spaCy: the package's names load on first use."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    top_level = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    assert all(isinstance(n, ast.ImportFrom) and n.module in ("__future__", "typing") for n in top_level)
