"""The package layering of DESIGN.md, checked on the source with ``ast``.

Data flow one way: acquire/io -> Recording -> signal -> onset -> metrics -> patterns ->
report -> assess -> batch, with the command line (``cli``) on top.  Every import
statement counts, at module level or inside a function.  The rules:

1. ``acquire`` imports neither ``feedback`` nor ``metrics``.
2. No subpackage imports a subpackage of a higher layer (:data:`LAYERS`).
3. No module imports the top-level ``emgcontrol`` package (``import emgcontrol``,
   ``from emgcontrol import X``, ``from .. import X`` reaching the package root):
   everything is imported from the module that defines it.
4. No subpackage imports another subpackage's private module or private name
   (``from ..x._y import``, ``from ..x import _y``); the core modules at the package
   root (``_util``, ``_validate``, ``_version``...) are shared by all.
5. ``argparse`` is imported only under ``cli/``: all command-line code lives there.

Known exceptions are listed in :data:`ALLOWED` with the reason; each entry must
still match an import (a stale entry fails), so the list only shrinks.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "emgcontrol"
SRC = Path(__file__).resolve().parents[1] / "src" / PACKAGE

LAYERS = {
    "io": 1, "simulate": 1,
    "acquire": 2,
    "signal": 3,
    "onset": 4,
    "metrics": 5,
    "patterns": 6,
    "feedback": 7, "report": 7,
    "assess": 8,
    "batch": 9,
    "cli": 10,
}
"""Layer of each subpackage: a subpackage imports only subpackages of its layer or lower."""

ALLOWED: dict[tuple[str, str, str], str] = {
    # (rule, importing module or subpackage, imported module[.name]) -> why it is still
    # there.  An importing subpackage ("emgcontrol.patterns") covers all its modules.
}


def _allowed_keys(rule: str, imp: Import) -> set[tuple[str, str, str]]:
    """The ALLOWED keys an import matches (its module or any package above it)."""
    parts = imp.module.split(".")
    owners = {".".join(parts[:k]) for k in range(2, len(parts) + 1)}
    return {(rule, owner, t) for owner in owners for t in (imp.target, imp.from_module)}


@dataclass(frozen=True)
class Import:
    """One imported module or name, resolved to an absolute dotted path."""

    module: str          # the importing module, e.g. "emgcontrol.acquire._session"
    target: str          # e.g. "emgcontrol.io._common" or "emgcontrol.io._common.find_gaps"
    from_module: str     # the module of a `from X import y` (the target itself otherwise)
    name: str | None     # y of `from X import y`
    line: int
    path: Path

    def where(self) -> str:
        return f"{self.path.relative_to(SRC.parent)}:{self.line}"


def _module_name(path: Path, root: Path) -> tuple[str, bool]:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def imports_of(path: Path, root: Path = SRC) -> list[Import]:
    """Every import statement of a source file (any depth), resolved."""
    module, is_package = _module_name(path, root)
    base = module.split(".") if is_package else module.split(".")[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                out.append(Import(module, alias.name, alias.name, None, node.lineno, path))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                up = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                src = ".".join(up + ([node.module] if node.module else []))
            else:
                src = node.module or ""
            for alias in node.names:
                out.append(Import(module, f"{src}.{alias.name}", src, alias.name,
                                  node.lineno, path))
    return out


def _subpackage(dotted: str, root: Path = SRC) -> str | None:
    """The subpackage of a dotted path inside the package (None for root modules)."""
    parts = dotted.split(".")
    if len(parts) < 2 or parts[0] != PACKAGE:
        return None
    return parts[1] if (root / parts[1]).is_dir() else None


def _private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def violations(root: Path = SRC) -> list[tuple[str, Import, str]]:
    """Every import that breaks a rule: ``(rule, import, message)``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for imp in imports_of(path, root):
            src_pkg = _subpackage(imp.module, root)
            target = imp.target
            inside = target.split(".")[0] == PACKAGE
            if target.split(".")[0] == "argparse" and src_pkg != "cli":
                found.append(("argparse", imp, "argparse outside emgcontrol/cli/"))
            if not inside:
                continue
            dst_pkg = _subpackage(target, root)
            if imp.module != PACKAGE and (imp.from_module == PACKAGE
                                          or (imp.name is None and target == PACKAGE)):
                found.append(("toplevel", imp, f"imports the top-level package ({target})"))
            if imp.name is None and target.split(".")[:1] == [PACKAGE] and \
                    imp.module != PACKAGE and "." in target:
                found.append(("toplevel", imp, f"`import {target}` binds the top-level "
                                               "package; use a relative import"))
            if src_pkg == "acquire" and dst_pkg in ("feedback", "metrics"):
                found.append(("acquire", imp, f"acquire imports {dst_pkg}"))
            if src_pkg and dst_pkg and src_pkg != dst_pkg:
                if LAYERS.get(dst_pkg, 0) > LAYERS.get(src_pkg, 0):
                    found.append(("layer", imp, f"{src_pkg} (layer {LAYERS.get(src_pkg)}) "
                                                f"imports {dst_pkg} (layer "
                                                f"{LAYERS.get(dst_pkg)})"))
            if dst_pkg and dst_pkg != src_pkg:
                inner = target.split(".")[2:]  # below the subpackage
                if any(_private(p) for p in inner):
                    found.append(("private", imp, f"private {target} of {dst_pkg}"))
    return found


def _unexpected(found: list[tuple[str, Import, str]]) -> list[str]:
    out = []
    for rule, imp, msg in found:
        if not _allowed_keys(rule, imp) & set(ALLOWED):
            out.append(f"{imp.where()}: [{rule}] {imp.module}: {msg}")
    return out


@pytest.fixture(scope="module")
def found() -> list[tuple[str, Import, str]]:
    if not SRC.is_dir():  # pragma: no cover - installed without the source tree
        pytest.skip("source tree not found")
    return violations()


@pytest.mark.parametrize("rule", ["acquire", "layer", "toplevel", "private", "argparse"])
def test_layering(found, rule):
    bad = _unexpected([f for f in found if f[0] == rule])
    assert not bad, "layering broken:\n" + "\n".join(bad)


def test_allow_list_is_current(found):
    """Each known exception still exists: fixed ones must leave the list."""
    seen = set()
    for rule, imp, _ in found:
        seen |= _allowed_keys(rule, imp)
    stale = [k for k in ALLOWED if k not in seen]
    assert not stale, f"exceptions that no longer occur (remove them from ALLOWED): {stale}"


def test_cli_is_one_package_and_the_entry_point_is_it():
    assert (SRC / "cli" / "__init__.py").is_file() and not (SRC / "cli.py").exists()
    pyproject = SRC.parents[1] / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        scripts = tomllib.loads(pyproject.read_text())["project"]["scripts"]
        module, func = scripts["emgcontrol"].split(":")
        assert module.split(".")[:2] == [PACKAGE, "cli"]
        import importlib

        assert callable(getattr(importlib.import_module(module), func))


# ------------------------------------------------- the checker finds what it must
CASES = {
    "acquire/_bad.py": ("from ..metrics import compute_mvc_reference\n", "acquire layer"),
    "acquire/_bad2.py": ("def f():\n    from ..feedback import run_feedback\n",
                         "acquire layer"),
    "signal/_bad.py": ("from ..patterns import compare\n", "layer"),
    "onset/_bad.py": ("from .. import read\n", "toplevel"),
    "report/_bad.py": ("import emgcontrol\n", "toplevel"),
    "_bad.py": ("from . import io\n", "toplevel"),
    "batch/_bad.py": ("from ..metrics._common import jsonable\n", "private"),
    "feedback/_bad.py": ("from ..signal import _kernels\n", "private"),
    "assess/_bad.py": ("import argparse\n", "argparse"),
}


@pytest.mark.parametrize("where", sorted(CASES))
def test_checker_flags_a_violation(tmp_path, where):
    """A tree with one bad import gives exactly that violation (the test can fail)."""
    root = tmp_path / PACKAGE
    for sub in ("acquire", "signal", "onset", "report", "batch", "feedback", "assess",
                "metrics", "patterns", "io", "cli"):
        (root / sub).mkdir(parents=True)
        (root / sub / "__init__.py").write_text("")
    (root / "__init__.py").write_text("from . import io\n")  # the root may
    (root / "cli" / "_main.py").write_text("import argparse\nfrom ..assess import x\n")
    (root / "metrics" / "ok.py").write_text("from .._util import jsonable\n"
                                            "from ..signal import bandpass\n")
    code, rules = CASES[where]
    (root / where).write_text(code)
    got = violations(root)
    assert sorted(r for r, _, _ in got) == rules.split(), got
    assert all(imp.path == root / where for _, imp, _ in got)
