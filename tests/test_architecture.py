"""The one-way rooms of ARCHITECTURE.md, read from the source (ast): who imports whom.

- a handler module (bot/handlers/*.py with ``register``) imports no other handler module, only the lower layer
  (bot/handlers/context.py and bot/handlers/steps/); the lower layer imports no handler module, registers
  nothing, and its modules form no cycle; nothing outside bot/handlers imports a handler module (bot/core/app.py
  registers them through ``bot.handlers.handler_modules``);
- nothing in bot/handlers imports inside a function (a lazy import there would only hide a cycle);
- nothing of the product imports bot/devtools/ (only bot/commands/, which starts the simulator and the demo);
- bot/flows/ imports no Telegram library and none of the rooms above it; export/, reminders/ and web/ import
  no handler, command or devtools module (and export/ no Telegram library);
- storage/, analysis/ and content/ import nothing of bot/ or of each other's rooms beyond ARCHITECTURE.md;
- no import cycle anywhere in bot/, storage/, analysis/ and content/, imports inside functions and under
  ``TYPE_CHECKING`` included;
- no Python file outside tests/ is over 500 lines (a longer file holds several things: split it by what each
  part holds).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "storage", "analysis", "content")
HANDLERS = "bot.handlers"
LOWER = ("bot.handlers.context", "bot.handlers.steps")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (a module, not a name inside it, where the target is one of ours)
    line: int
    lazy: bool  # inside a function or class body

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts and "versions" in path.parts:
                continue
            found[_module_name(path)] = path
    return found


MODULES = _sources()


def _resolve(source: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = source.split(".") if path.name == "__init__.py" else source.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imports_of(source: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend(Import(source, alias.name, child.lineno, lazy) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                module = _resolve(source, path, child)
                for alias in child.names:
                    name = f"{module}.{alias.name}"
                    found.append(Import(source, name if name in MODULES else module, child.lineno, lazy))
            visit(child, inner)

    visit(tree, False)
    return found


IMPORTS = [imp for source, path in MODULES.items() for imp in _imports_of(source, path)]


def _within(module: str, *rooms: str) -> bool:
    return any(module == room or module.startswith(room + ".") for room in rooms)


def _defines_register(module: str) -> bool:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    return any(isinstance(n, ast.FunctionDef) and n.name == "register" for n in tree.body)


def _handler_modules() -> set[str]:
    return {m for m in MODULES if m.startswith(HANDLERS + ".") and m.count(".") == 2 and not _within(m, *LOWER)}


def _lower_modules() -> set[str]:
    return {m for m in MODULES if _within(m, *LOWER)}


def _violations(sources: tuple[str, ...], forbidden: tuple[str, ...], *, allowed: tuple[str, ...] = ()) -> list[str]:
    return [str(i) for i in IMPORTS
            if _within(i.source, *sources) and not _within(i.source, *allowed) and _within(i.target, *forbidden)]


def test_the_handler_modules_are_what_the_application_registers():
    handlers = _handler_modules()
    assert {"bot.handlers.start", "bot.handlers.menu", "bot.handlers.midwife", "bot.handlers.fallback"} <= handlers
    assert [m for m in sorted(handlers) if not _defines_register(m)] == []
    assert [m for m in sorted(_lower_modules()) if _defines_register(m)] == []  # the lower layer registers nothing


def test_a_handler_module_imports_no_other_handler_module():
    handlers = _handler_modules()
    sideways = [str(i) for i in IMPORTS if i.source in handlers and i.target in handlers and i.target != i.source]
    assert sideways == [], "handler modules import sideways; move the shared step down into bot/handlers/steps/"


def test_the_lower_layer_imports_no_handler_module():
    handlers = _handler_modules()
    upward = [str(i) for i in IMPORTS if i.source in _lower_modules() and i.target in handlers]
    assert upward == []


def test_nothing_outside_the_handlers_imports_a_handler_module():
    handlers = _handler_modules()
    outside = [str(i) for i in IMPORTS if not _within(i.source, HANDLERS) and i.target in handlers]
    assert outside == []


def test_the_lower_layer_has_no_cycle():
    lower = _lower_modules()
    graph: dict[str, set[str]] = {m: set() for m in lower}
    for i in IMPORTS:
        if i.source in lower and i.target in lower and i.target != i.source:
            graph[i.source].add(i.target)
    done: set[str] = set()

    def cycle_from(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return None
        for nxt in sorted(graph[node]):
            found = cycle_from(nxt, [*path, node])
            if found:
                return found
        done.add(node)
        return None

    cycles = [c for m in sorted(graph) if (c := cycle_from(m, []))]
    assert cycles == [], " → ".join(cycles[0]) if cycles else ""


def test_no_lazy_import_in_the_handlers():
    lazy = [str(i) for i in IMPORTS if _within(i.source, HANDLERS) and i.lazy]
    assert lazy == [], "import at the top of the module (a lazy import would hide a cycle)"


def test_nothing_of_the_product_imports_the_devtools():
    assert _violations(PACKAGES, ("bot.devtools",), allowed=("bot.devtools", "bot.commands")) == []


def test_flows_import_no_telegram_and_nothing_above_them():
    above = ("telegram", "bot.handlers", "bot.web", "bot.commands", "bot.devtools", "bot.reminders", "bot.export")
    assert _violations(("bot.flows",), above) == []


def test_the_rules_never_import_the_engine():
    """Not even for a type: a rule receives what it needs (a send function, data, a turn-shaped Protocol)."""
    assert _violations(("bot.flows", "bot.export"), ("bot.core.app", "bot.core.turn")) == []


def test_export_reminders_and_web_import_no_room_above_them():
    assert _violations(("bot.export", "bot.reminders"), ("bot.handlers", "bot.web", "bot.commands", "bot.devtools")) == []
    assert _violations(("bot.web",), ("bot.handlers", "bot.commands", "bot.devtools")) == []
    assert _violations(("bot.export",), ("telegram",)) == []


def test_storage_analysis_and_content_import_nothing_of_the_bot():
    assert _violations(("storage",), ("bot", "content", "analysis", "telegram")) == []
    assert _violations(("analysis",), ("bot", "storage", "content", "telegram")) == []
    assert _violations(("content",), ("bot", "storage", "analysis", "telegram")) == []


def test_the_rules_see_real_imports():
    """The reader itself: it finds an import we know, resolves a module imported by name, and sees a lazy one."""
    assert any(i.source == "bot.core.app" and i.target == "bot.handlers" for i in IMPORTS)
    assert any(i.source == "bot.reminders.dispatcher" and i.target == "bot.flows.schedule" for i in IMPORTS)
    assert any(i.source == "bot.commands.simulate" and i.target == "bot.devtools.simulator" and i.lazy
               for i in IMPORTS)


# The imports that still close a cycle (importer, imported), each with why it is still there. Remove an entry
# with the cycle; the test fails on an entry that no longer closes one, and on any cycle not listed here.
def _graph(skip: set[tuple[str, str]] = frozenset()) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for i in IMPORTS:
        if i.target in MODULES and i.target != i.source and (i.source, i.target) not in skip:
            graph[i.source].add(i.target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_in_the_whole_package_lazy_imports_included():
    cycles = _cycles(_graph())
    detail = [" ↔ ".join(c) + ": " + "; ".join(str(i) for i in IMPORTS if i.source in c and i.target in c)
              for c in cycles]
    assert cycles == [], "\n".join(detail)


def test_the_cycle_check_sees_a_lazy_cycle():
    planted = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(planted) == [["a", "b", "c"]]
    lazy = [i for i in IMPORTS if i.lazy and i.target in MODULES and i.target != i.source]
    assert lazy and all(i.target in _graph()[i.source] for i in lazy)  # the real graph holds the lazy imports


MAX_LINES = 500


def test_no_file_outside_the_tests_is_over_500_lines():
    long = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in ("tests", ".venv", "venv", "build", "dist") or any(p.startswith(".") for p in rel.parts):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            long.append(f"{rel}: {lines} lines")
    assert long == [], "split by what each part holds: " + "; ".join(long)
