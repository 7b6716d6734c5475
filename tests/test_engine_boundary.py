"""Only ``searchkit.engine`` imports Whoosh: everything above it uses the engine's plain values.

Read from the source files with ``ast`` (every ``import`` statement anywhere in
a module counts, including those inside functions or ``if TYPE_CHECKING``), so
a lazy import cannot slip through the way it would past a check of
``sys.modules``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import searchkit

PACKAGE = Path(searchkit.__file__).parent
ENGINE = PACKAGE / "engine"


def whoosh_imports(path: Path) -> list[str]:
    """Each ``import whoosh...`` / ``from whoosh... import`` in the file, as ``line: module``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [f"{node.lineno}: {name}" for name in names if name.split(".")[0] == "whoosh"]
    return found


def modules(root: Path) -> list[Path]:
    return sorted(root.rglob("*.py"))


def test_no_module_outside_the_engine_imports_whoosh() -> None:
    outside = [path for path in modules(PACKAGE) if ENGINE not in path.parents]
    assert len(outside) > 10  # the walk found the package, not an empty folder
    offenders = {
        str(path.relative_to(PACKAGE)): found for path in outside if (found := whoosh_imports(path))
    }
    assert offenders == {}


def test_the_engine_does_import_whoosh() -> None:
    """Guard against a vacuous pass: the same check finds the engine's own imports."""
    importing = [path.name for path in modules(ENGINE) if whoosh_imports(path)]
    assert {"storage.py", "schema.py", "reading.py", "writer.py"} <= set(importing)


def test_the_check_sees_every_form_of_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\n"
        "import whoosh\n"
        "from whoosh.query import Term\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    import whoosh.fields as f\n"
        "def late():\n"
        "    from whoosh import index\n"
        "from .whoosh import nothing\n",
        encoding="utf-8",
    )
    assert whoosh_imports(sample) == [
        "2: whoosh",
        "3: whoosh.query",
        "6: whoosh.fields",
        "8: whoosh",
    ]
