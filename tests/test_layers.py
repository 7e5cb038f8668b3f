"""The product's modules point one way: no import cycles, and the layers' contracts.

Read from the source with :mod:`ast` (nothing is imported), so the test sees
every import, those inside functions and under ``TYPE_CHECKING`` included: a
cycle hidden in a function is still two modules that cannot change alone.

The contracts (README.md, "How the code is laid out"):
- ``functions.core`` is the pure core: it imports no adapter (store, payments,
  handlers, mail senders) and no SDK (boto3, stripe);
- ``functions`` (what runs on Lambda) never imports ``generator``;
- ``generator.cli`` is the top: only the console script's ``__main__`` imports it;
- no module reaches for another module's underscore names.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("functions", "generator")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported product module
    line: int
    names: tuple[str, ...] = ()  # the names taken (from X import a, b)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    if not level:
        return name or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([name] if name else []))


def imports_of(name: str, path: Path, known: dict[str, Path]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES or alias.name.split(".")[0] in ("boto3", "stripe"):
                    found.append(Import(name, alias.name, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, is_package, node.level, node.module)
            plain = []
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in known:  # from functions.core import money: the module itself
                    found.append(Import(name, submodule, node.lineno))
                else:
                    plain.append(alias.name)
            if plain or not node.names:
                found.append(Import(name, base, node.lineno, tuple(plain)))
    return found


def graph() -> tuple[dict[str, Path], list[Import]]:
    known = modules()
    edges = [i for name, path in known.items() for i in imports_of(name, path, known)]
    return known, edges


def cycles(nodes, edges: list[Import]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), and modules importing themselves."""
    successors: dict[str, set[str]] = {n: set() for n in nodes}
    for edge in edges:
        if edge.target in successors and edge.target != edge.source:
            successors[edge.source].add(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(successors[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(successors):
        if node not in index:
            visit(node)
    return groups


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_graph_is_read():
    """The reader sees the imports it must (else every contract below would pass on nothing)."""
    known, edges = graph()
    pairs = {(e.source, e.target) for e in edges}
    assert ("functions.core.settle", "functions.core.ports") in pairs  # relative, from .ports import
    assert ("generator.ledger", "functions.core.settle") in pairs  # absolute
    assert ("generator.cli", "generator.ledger") in pairs  # inside a function
    assert ("generator.ledger", "functions.core.money") in pairs  # from package import module
    assert len(known) > 80


def test_a_cycle_is_found():
    edges = [Import("a", "b", 1), Import("b", "c", 1), Import("c", "a", 1), Import("c", "d", 1)]
    assert cycles(["a", "b", "c", "d"], edges) == [["a", "b", "c"]]
    assert cycles(["a", "b"], [Import("a", "b", 1)]) == []


def test_no_import_cycles():
    known, edges = graph()
    found = cycles(known, edges)
    described = []
    for group in found:
        inside = sorted(f"{e.source} → {e.target} (line {e.line})" for e in edges
                        if e.source in group and e.target in group and e.source != e.target)
        described.append("\n  ".join(inside))
    assert not found, "import cycles between product modules:\n  " + "\n\n  ".join(described)


def _violations(edges, source_package: str, forbidden: tuple[str, ...], allowed=()) -> list[str]:
    return sorted(f"{e.source} imports {e.target} (line {e.line})" for e in edges
                  if _within(e.source, source_package) and e.source not in allowed
                  and any(_within(e.target, f) for f in forbidden))


def test_core_imports_no_adapter():
    _, edges = graph()
    adapters = ("functions.store", "functions.payments", "functions.handlers", "functions.mailer",
                "functions.runtime", "functions.router", "functions.http", "boto3", "stripe", "generator")
    assert _violations(edges, "functions.core", adapters) == []


def test_functions_never_import_the_generator():
    _, edges = graph()
    assert _violations(edges, "functions", ("generator",)) == []


def test_the_cli_is_imported_by_nothing():
    _, edges = graph()
    assert _violations(edges, "generator", ("generator.cli",), allowed=("generator.cli", "generator.__main__")) == []
    assert _violations(edges, "functions", ("generator.cli",)) == []


def test_no_module_takes_another_modules_private_names():
    known, edges = graph()
    taken = sorted(f"{e.source} takes {name} from {e.target} (line {e.line})" for e in edges
                   for name in e.names if name.startswith("_") and not name.startswith("__") and e.target in known
                   and e.target != e.source)
    reached = []
    for name, path in known.items():
        aliases = {}
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = _resolve(name, path.name == "__init__.py", node.level, node.module)
                for alias in node.names:
                    if f"{base}.{alias.name}" in known:
                        aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname and alias.name in known:
                        aliases[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                reached.append(f"{name} reaches {aliases[node.value.id]}.{node.attr} (line {node.lineno})")
    assert taken + sorted(reached) == []


def test_benchmarks_do_not_shadow_the_packages():
    """A benchmark named like a package (functions.py) shadows it on sys.path when run as a script."""
    names = {p.stem for p in (ROOT / "benchmarks").glob("*.py")}
    assert {"build", "pledges", "pages", "common"} <= names
    assert not names & set(PACKAGES)
