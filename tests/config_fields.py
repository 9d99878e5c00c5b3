"""Which config fields nothing varies (issue #22: every field is varied, or it becomes a named constant).

**A config dataclass** is a dataclass defined in ``lecturekit/`` that is not a result (not a
:class:`~lecturekit.studies.contract.RunResult`) and that either

* is reachable from a profile (quick, course or full) of a :class:`~lecturekit.studies.contract.Profiles`
  object defined in a ``lecturekit/studies/`` module (recursively through fields and tuples, and through
  the classes a reachable field's type hint names, such as ``data: PlantedWorld | BioSNAP``), or
* has a name ending in ``Config``, ``Settings``, ``Experiment`` or ``Training`` (a method's knobs that a
  study builds from its own config, such as ``BPRConfig`` or GraphRNN's ``TrainConfig``).

The rule was read off the code: every settings class a notebook's ``PROFILES`` holds is reachable, and
every method-level settings class carries one of these suffixes; data containers (``Pinboard``,
``DDISplit``), results, checks' cases and verdict rows do not.

**A field is varied** when

* a profile of some ``PROFILES`` gives it a value different from that object's course profile (the
  objects are compared, recursively through nested configs and tuples of configs), or
* a call in a notebook's code, a test, a benchmark, ``experiments/`` or package code (a study, an
  ablation) constructs the class with that field as a keyword or positional argument, or calls
  ``dataclasses.replace(<an object of that class>, field=...)``. A keyword whose value is a literal equal
  to the field's default varies nothing and does not count; calls written in a config class's own
  statements (its field defaults; its methods count like any code) or inside a ``with pytest.raises(...)`` block (a test that the value is refused) do not
  count either.

Attributing a call is done statically with ``ast``: class names are resolved through each file's imports;
the object given to ``replace`` is typed from constructor calls, ``replace`` calls, ``PROFILES.get()`` /
``PROFILES.course``, attribute chains through config fields, subscripts and ``for`` loops over tuples of
configs, annotated parameters, and simple assignments (one name space per file, not per function: a name
bound to two classes counts for both). **When a ``replace`` call cannot be attributed** (its object's type is
unknown, or none of its candidate classes has the keyword), the keyword is attributed to every config class
that has a field of that name. That errs towards calling a field varied, never towards a false report.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import json
import pkgutil
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SUFFIXES = ("Config", "Settings", "Experiment", "Training")
PHASES = ("quick", "full")
OTHER = "<a dataclass that is no config>"  # a type the resolver knows, with no config fields


def _modules() -> list[Any]:
    import lecturekit

    out = [lecturekit]
    for info in pkgutil.walk_packages(lecturekit.__path__, "lecturekit."):
        out.append(importlib.import_module(info.name))
    return out


def _profiles(modules: list[Any]) -> list[Any]:
    from lecturekit.studies.contract import Profiles

    seen: dict[int, Any] = {}
    for module in modules:
        if module.__name__.startswith("lecturekit.studies."):
            for value in vars(module).values():
                if isinstance(value, Profiles):
                    seen[id(value)] = value
    return list(seen.values())


def key(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_instance(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _reachable(value: Any, out: set[type]) -> None:
    if _is_instance(value):
        out.add(type(value))
        for f in dataclasses.fields(value):
            _reachable(getattr(value, f.name), out)
    elif isinstance(value, tuple):
        for item in value:
            _reachable(item, out)


def config_classes(modules: list[Any] | None = None) -> dict[str, type]:
    """Every config dataclass of the package, by ``module.QualName`` (see the module docstring)."""
    from lecturekit.studies.contract import RunResult

    modules = _modules() if modules is None else modules
    reachable: set[type] = set()
    for profiles in _profiles(modules):
        for phase in ("quick", "course", "full"):
            _reachable(getattr(profiles, phase), reachable)
    defined = [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type)
        and dataclasses.is_dataclass(value)
        and value.__module__ == module.__name__
        and not issubclass(value, RunResult)
    ]
    by_key = {key(c): c for c in defined}
    stack = list(reachable)
    while stack:  # classes a reachable field's type hint names (e.g. ``data: PlantedWorld | BioSNAP``)
        owner = stack.pop()
        for f in dataclasses.fields(owner):
            for name in _hinted(owner, f.name, by_key):
                if by_key[name] not in reachable:
                    reachable.add(by_key[name])
                    stack.append(by_key[name])
    return {key(c): c for c in defined if c in reachable or c.__name__.endswith(SUFFIXES)}


def _diff(course: Any, other: Any, varied: set[tuple[str, str]]) -> None:
    """Mark ``(class, field)`` wherever ``other`` differs from ``course`` (same-typed nested configs recursed)."""
    for f in dataclasses.fields(course):
        a, b = getattr(course, f.name), getattr(other, f.name)
        if _is_instance(a) and type(a) is type(b):
            _diff(a, b, varied)
        elif (
            isinstance(a, tuple)
            and isinstance(b, tuple)
            and len(a) == len(b)
            and any(_is_instance(x) for x in a)
            and all(type(x) is type(y) for x, y in zip(a, b, strict=True))
        ):
            for x, y in zip(a, b, strict=True):
                if _is_instance(x):
                    _diff(x, y, varied)
                elif x != y:
                    varied.add((key(type(course)), f.name))
        elif a != b:
            varied.add((key(type(course)), f.name))


def profile_variations(modules: list[Any] | None = None) -> set[tuple[str, str]]:
    """``(class, field)`` pairs that a quick or full profile sets differently from its course profile."""
    varied: set[tuple[str, str]] = set()
    for profiles in _profiles(_modules() if modules is None else modules):
        for phase in PHASES:
            _diff(profiles.course, getattr(profiles, phase), varied)
    return varied


def sources(root: Path = ROOT) -> Iterator[tuple[str, str, str | None]]:
    """``(label, code, module name or None)`` of every file whose calls may vary a config."""
    for folder in ("lecturekit", "tests", "benchmarks", "experiments"):
        for path in sorted((root / folder).rglob("*.py")):
            rel = path.relative_to(root)
            module = ".".join(rel.with_suffix("").parts) if folder == "lecturekit" else None
            if module and module.endswith(".__init__"):
                module = module[: -len(".__init__")]
            yield str(rel), path.read_text(encoding="utf-8"), module
    for path in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = []
        for cell in cells:
            if cell["cell_type"] == "code":
                text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                code += [line for line in text.splitlines() if not line.lstrip().startswith(("%", "!"))]
        yield str(path.relative_to(root)), "\n".join(code), None


def _default(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


class _Resolver:
    """Types (sets of config class keys) of the expressions of one file (see the module docstring)."""

    def __init__(self, tree: ast.AST, module: str | None, classes: dict[str, type], objects: dict[str, Any]):
        self.classes, self.objects = classes, objects
        self.alias: dict[str, str] = {}
        if module:  # names defined in the module itself
            for node in tree.body if isinstance(tree, ast.Module) else []:
                if isinstance(node, ast.ClassDef | ast.Assign):
                    names = [node.name] if isinstance(node, ast.ClassDef) else []
                    if isinstance(node, ast.Assign):
                        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                    for name in names:
                        self.alias[name] = f"{module}.{name}"
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    self.alias[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    self.alias[a.asname or a.name.partition(".")[0]] = (
                        a.asname and a.name or a.name.partition(".")[0]
                    )
        self.bindings: dict[str, list[ast.AST]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.bindings.setdefault(target.id, []).append(node.value)
                    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                        if target.value.id == "self":
                            self.bindings.setdefault(f"self.{target.attr}", []).append(node.value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                self.bindings.setdefault(f"self.{node.target.id}", []).append(node.annotation)
                self.bindings.setdefault(node.target.id, []).append(node.annotation)
            elif isinstance(node, ast.arg) and node.annotation is not None:
                self.bindings.setdefault(node.arg, []).append(node.annotation)
            elif isinstance(node, ast.For | ast.comprehension) and isinstance(node.target, ast.Name):
                self.bindings.setdefault(node.target.id, []).append(ast.Subscript(node.iter, ast.Constant(0)))
        self.returns: dict[str, list[ast.AST]] = {}  # a function's returns (also a pytest fixture's value)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                found = [node.returns] if node.returns is not None else []
                found += [
                    n.value for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None
                ]
                self.returns.setdefault(node.name, []).extend(found)

    def dotted(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return self.alias.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def cls(self, node: ast.AST) -> str | None:
        """The config class a name or attribute chain denotes, if any."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):  # a string annotation
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        name = self.dotted(node)
        if name and name not in self.classes:  # a re-export, e.g. ``study.BioSNAP`` of a companion module
            module, _, attr = name.rpartition(".")
            found = getattr(sys.modules.get(module), attr, None)
            name = key(found) if isinstance(found, type) else None
        return name if name in self.classes else None

    def _union(self, nodes: list[ast.AST], depth: int) -> set[str] | None:
        out: set[str] = set()
        for item in nodes:
            out |= self.types(item, depth + 1) or set()
        return out or None

    def is_replace(self, func: ast.AST) -> bool:
        return self.dotted(func) in ("dataclasses.replace",) or (
            isinstance(func, ast.Name) and func.id == "replace"
        )

    def types(self, node: ast.AST, depth: int = 0) -> set[str] | None:
        """Config classes ``node`` may evaluate to (a set; ``None`` when unknown)."""
        if depth > 12:
            return None
        found = self.cls(node)
        if found and isinstance(node, ast.Name | ast.Attribute | ast.Constant):
            return {found}  # an annotation naming the class
        if isinstance(node, ast.Call):
            made = self.cls(node.func)
            if made:
                return {made}
            if self.is_replace(node.func) and node.args:
                return self.types(node.args[0], depth + 1)
            if isinstance(node.func, ast.Attribute) and node.func.attr == "get":
                profiles = self.objects.get(self.dotted(node.func.value) or "")
                if profiles is not None and hasattr(profiles, "course"):
                    return {key(type(profiles.course))}
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            return self._union(self.returns.get(name, []), depth)
        if isinstance(node, ast.BoolOp | ast.IfExp):
            return self._union(
                node.values if isinstance(node, ast.BoolOp) else [node.body, node.orelse], depth
            )
        obj = self.objects.get(self.dotted(node) or "")
        if _is_instance(obj):  # a module-level config such as COURSE
            return {key(type(obj)) if key(type(obj)) in self.classes else OTHER}
        if isinstance(node, ast.Subscript) and isinstance(
            obj := self.objects.get(self.dotted(node.value) or ""), dict
        ):
            return {key(type(v)) if key(type(v)) in self.classes else OTHER for v in obj.values()} or None
        if isinstance(node, ast.Name):
            bound = [b for b in self.bindings.get(node.id, []) if b is not node]
            return self._union(bound + self.returns.get(node.id, []), depth)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            return self._union(self.bindings.get(f"self.{node.attr}", []), depth)  # the class's attribute
        if isinstance(node, ast.Dict):
            return self._union([v for v in node.values if v is not None], depth)
        if isinstance(node, ast.Attribute):
            profiles = self.objects.get(self.dotted(node.value) or "")
            if (
                profiles is not None
                and node.attr in ("quick", "course", "full")
                and hasattr(profiles, "course")
            ):
                return {key(type(profiles.course))}
            return self._field_types(self.types(node.value, depth + 1), node.attr, element=False)
        if isinstance(node, ast.Subscript):
            if isinstance(node.value, ast.Attribute):
                inner = self.types(node.value.value, depth + 1)
                return self._field_types(inner, node.value.attr, element=True)
            if isinstance(node.value, ast.Name):  # a dict or tuple of configs bound to a name
                bound = self.bindings.get(node.value.id, [])
                return self._union(
                    [v for b in bound if isinstance(b, ast.Dict | ast.Tuple) for v in _items(b)], depth
                )
            return None
        return None

    def _field_types(self, owners: set[str] | None, name: str, element: bool) -> set[str] | None:
        if not owners:
            return None
        out: set[str] = set()
        for owner in owners & self.classes.keys():
            cls = self.classes[owner]
            for f in dataclasses.fields(cls):
                if f.name == name:
                    value = _default(f)
                    items = value if element and isinstance(value, tuple) else (value,)
                    out |= {key(type(v)) for v in items if _is_instance(v) and key(type(v)) in self.classes}
                    out |= _hinted(cls, name, self.classes)
        return out or None


def _items(node: ast.Dict | ast.Tuple) -> list[ast.AST]:
    return [v for v in node.values if v is not None] if isinstance(node, ast.Dict) else list(node.elts)


def _hinted(cls: type, name: str, classes: dict[str, type]) -> set[str]:
    """Config classes named in the type hint of field ``name`` (through ``X | None``, ``tuple[X, ...]``)."""
    try:
        hint = typing.get_type_hints(cls)[name]
    except Exception:  # an unresolvable forward reference: fall back to the default's type
        return set()
    out, stack = set(), [hint]
    while stack:
        item = stack.pop()
        if isinstance(item, type) and key(item) in classes:
            out.add(key(item))
        stack.extend(typing.get_args(item))
    return out


def _is_raises(node: ast.AST) -> bool:
    func = node.func if isinstance(node, ast.Call) else None
    return (
        isinstance(func, ast.Attribute | ast.Name)
        and getattr(func, "attr", getattr(func, "id", "")) == "raises"
    )


def _literal_default(value: ast.AST, field: dataclasses.Field) -> bool:
    """Whether ``value`` is a literal equal to the field's default (it then varies nothing)."""
    try:
        literal = ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    default = _default(field)
    return default is not dataclasses.MISSING and type(literal) is type(default) and literal == default


def call_variations(
    classes: dict[str, type], objects: dict[str, Any], files: list[tuple[str, str, str | None]] | None = None
) -> dict[tuple[str, str], set[str]]:
    """``(class, field) -> files`` whose calls construct or ``replace`` the class with that field set."""
    by_field: dict[str, list[str]] = {}
    fields = {k: {f.name: f for f in dataclasses.fields(c)} for k, c in classes.items()}
    for k, names in fields.items():
        for name in names:
            by_field.setdefault(name, []).append(k)
    out: dict[tuple[str, str], set[str]] = {}

    def mark(k: str, name: str, value: ast.AST, where: str) -> None:
        if name in fields[k] and not _literal_default(value, fields[k][name]):
            out.setdefault((k, name), set()).add(where)

    for label, code, module in sources() if files is None else files:
        tree = ast.parse(code)
        resolver = _Resolver(tree, module, classes, objects)
        # calls in a config class's own statements (its field defaults; its methods are code like any other)
        # or in a ``pytest.raises`` block (a refusal) vary nothing
        skip: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and module and f"{module}.{node.name}" in classes:
                for statement in node.body:
                    if not isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                        skip |= {id(n) for n in ast.walk(statement)}
            if isinstance(node, ast.With) and any(_is_raises(item.context_expr) for item in node.items):
                skip |= {id(n) for n in ast.walk(node)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in skip:
                continue
            made = resolver.cls(node.func)
            if made:
                init = [f.name for f in dataclasses.fields(classes[made]) if f.init]
                for name, arg in zip(init, node.args, strict=False):
                    mark(made, name, arg, label)
                for kw in node.keywords:
                    if kw.arg:
                        mark(made, kw.arg, kw.value, label)
            elif resolver.is_replace(node.func) and node.args:
                owners = resolver.types(node.args[0]) or set()
                for kw in node.keywords:
                    if not kw.arg:
                        continue
                    candidates = [k for k in owners if k in fields and kw.arg in fields[k]]
                    where = label if candidates else f"{label} (by field name)"
                    if OTHER in owners and not candidates:
                        continue  # replace() on a known dataclass that is no config
                    for k in candidates or by_field.get(kw.arg, []):
                        mark(k, kw.arg, kw.value, where)
    return out


@dataclasses.dataclass(frozen=True)
class Audit:
    classes: dict[str, type]
    varied: dict[tuple[str, str], set[str]]  # (class, field) -> where ("profile" or a file)

    def fields(self) -> list[tuple[str, str]]:
        return [(k, f.name) for k, c in self.classes.items() for f in dataclasses.fields(c)]

    def unvaried(self) -> list[tuple[str, str]]:
        return [pair for pair in self.fields() if pair not in self.varied]


def audit(files: list[tuple[str, str, str | None]] | None = None) -> Audit:
    from lecturekit.studies.contract import Profiles

    modules = _modules()
    classes = config_classes(modules)
    objects = {  # module-level Profiles, dataclass instances and dicts of them, by dotted name
        f"{module.__name__}.{name}": value
        for module in modules
        for name, value in vars(module).items()
        if isinstance(value, Profiles)
        or _is_instance(value)
        or (isinstance(value, dict) and value and all(_is_instance(v) for v in value.values()))
    }
    varied = call_variations(classes, objects, files)
    for pair in profile_variations(modules):
        varied.setdefault(pair, set()).add("profile")
    return Audit(classes, varied)


if __name__ == "__main__":
    result = audit()
    for k, name in result.unvaried():
        print(f"{k}.{name}")
    print(
        f"{len(result.classes)} config classes, {len(result.fields())} fields, {len(result.unvaried())} unvaried"
    )
