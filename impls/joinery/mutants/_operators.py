"""The mutation operators: small, realistic bugs made from a model's source with ``ast``.

Every operator names *sites* in a fresh parse of the source, in one fixed pre-order walk,
and applies one of them to another fresh parse: no randomness, no copying of trees, so the
same source always gives the same mutants in the same order. Only code inside functions
is mutated; the module's imports and ``MODEL`` card stay as they are (a mutant that cannot
be loaded as a model would be "killed" by the loader, not by the suite).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass

OPERATORS: dict[str, str] = {
    "delete": "delete one statement",
    "drop-await": "drop an `await` (the awaitable is made and dropped)",
    "drop-call": "drop a trailing .cancel()/.close()/.discard()/.set()/... call",
    "return-early": "return before the rest of a block",
    "limit": "replace a use of `limit` with 1 or with limit + 1",
    "policy": "swap a policy or flag (SUPERVISE/FAIL_FAST/RACE, return_when, True/False)",
    "remove-try": "remove a try: keep the body (and, variant, run the finally only on success)",
    "remove-with": "remove a `with`/`async with` that binds no name (a shield, a semaphore)",
    "negate": "negate the condition of an `if` or `while`",
}
"""Operator name -> what it does, in the order the generator applies them."""

DROPPED_CALLS = frozenset(
    {"cancel", "close", "discard", "set", "stop", "add_done_callback", "append", "result"}
)
"""Methods whose call ``x.m(...)`` the drop-call operator replaces with ``x``."""

POLICY_SWAPS: dict[str, tuple[str, ...]] = {
    "SUPERVISE": ("FAIL_FAST", "RACE"),
    "FAIL_FAST": ("SUPERVISE", "RACE"),
    "RACE": ("FAIL_FAST", "SUPERVISE"),
    "FIRST_EXCEPTION": ("ALL_COMPLETED", "FIRST_COMPLETED"),
    "ALL_COMPLETED": ("FIRST_EXCEPTION", "FIRST_COMPLETED"),
    "FIRST_COMPLETED": ("ALL_COMPLETED", "FIRST_EXCEPTION"),
}
"""Attribute name -> the names it is swapped with (``task.SUPERVISE`` -> ``task.FAIL_FAST``)."""

STATEMENT_LISTS = ("body", "orelse", "finalbody")


@dataclass(frozen=True)
class Site:
    """One place an operator applies, found in the pre-order walk of a fresh parse.

    Attributes:
        operator: a key of :data:`OPERATORS`.
        node: the index of the node in the walk (see :func:`_walk`).
        variant: which of the operator's variants (e.g. 1 or limit + 1).
        function: the qualified name of the enclosing function, e.g. ``_Tasks.join``.
        line: the node's line in the original source (for people: it is no part of a key).
        what: one line saying what changes, for people.
        statement: the text of the statement the change is in (a compound statement's
            first line, e.g. ``if not self._closed:``), whitespace collapsed: with the
            function it places the change without naming a line that edits shift.
    """

    operator: str
    node: int
    variant: int
    function: str
    line: int
    what: str
    statement: str = ""


@dataclass
class _Located:
    node: ast.AST
    function: str
    parent: ast.AST | None
    field: str | None
    index: int | None
    statement: ast.stmt | None


def _walk(tree: ast.Module) -> list[_Located]:
    """Every node inside a function, pre-order, with its enclosing function and parent."""
    found: list[_Located] = []

    def visit(
        node: ast.AST,
        function: str,
        in_function: bool,
        parent: ast.AST | None,
        fld: str | None,
        index: int | None,
        statement: ast.stmt | None,
    ) -> None:
        if isinstance(node, ast.stmt):
            statement = node
        if in_function:
            found.append(_Located(node, function, parent, fld, index, statement))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            function = f"{function}.{node.name}" if function else node.name
            in_function = in_function or not isinstance(node, ast.ClassDef)
        for name, value in ast.iter_fields(node):
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        visit(item, function, in_function, node, name, i, statement)
            elif isinstance(value, ast.AST):
                visit(value, function, in_function, node, name, None, statement)

    for i, stmt in enumerate(tree.body):
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            visit(stmt, "", False, tree, "body", i, None)
    return found


def _is_docstring(loc: _Located) -> bool:
    node = loc.node
    return (
        loc.index == 0
        and isinstance(loc.parent, ast.FunctionDef | ast.AsyncFunctionDef)
        and isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _in_statement_list(loc: _Located) -> bool:
    return (
        isinstance(loc.node, ast.stmt)
        and loc.field in (*STATEMENT_LISTS, "handlers")
        and loc.index is not None
        and not isinstance(loc.parent, ast.Module)
    )


def _snippet(node: ast.AST, width: int = 60) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def statement_text(node: ast.stmt | None) -> str:
    """A statement as one line: its first line as ``ast.unparse`` writes it, spaces collapsed.

    A compound statement gives its header (``while not done:``), so a mutant inside a
    long ``try`` is not keyed by the whole block, which any edit of the block would change.
    """
    if node is None:
        return ""
    lines = ast.unparse(node).splitlines()
    return " ".join(lines[0].split()) if lines else ""


def sites(tree: ast.Module) -> Iterator[Site]:
    """Every mutation site of ``tree``, operator by operator, in walk order."""
    walk = _walk(tree)
    for operator, finder in _FINDERS.items():
        for i, loc in enumerate(walk):
            for variant, what in finder(loc):
                line = getattr(loc.node, "lineno", 0)
                stmt = statement_text(loc.statement)
                yield Site(operator, i, variant, loc.function, line, what, stmt)


# -- finders: which variants apply at a node -----------------------------------------

Finder = Callable[[_Located], list[tuple[int, str]]]


def _find_delete(loc: _Located) -> list[tuple[int, str]]:
    node = loc.node
    if not _in_statement_list(loc) or _is_docstring(loc):
        return []
    if isinstance(node, ast.Pass | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return []
    return [(0, f"delete `{_snippet(node)}`")]


def _find_drop_await(loc: _Located) -> list[tuple[int, str]]:
    if isinstance(loc.node, ast.Await):
        return [(0, f"drop the await of `{_snippet(loc.node.value)}`")]
    return []


def _find_drop_call(loc: _Located) -> list[tuple[int, str]]:
    node = loc.node
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return []
    if node.func.attr not in DROPPED_CALLS:
        return []
    if isinstance(loc.parent, ast.Expr):  # the whole statement: `delete` covers it
        return []
    return [(0, f"drop `.{node.func.attr}(...)` from `{_snippet(node)}`")]


def _find_return_early(loc: _Located) -> list[tuple[int, str]]:
    node = loc.node
    if not _in_statement_list(loc) or loc.field == "handlers" or loc.index is None:
        return []
    if isinstance(node, ast.Return | ast.Raise | ast.FunctionDef | ast.AsyncFunctionDef):
        return []
    siblings = getattr(loc.parent, loc.field or "", [])
    if loc.index + 1 >= len(siblings) or _is_docstring(loc):
        return []  # nothing after it to skip
    return [(0, f"return right after `{_snippet(node)}`")]


def _find_limit(loc: _Located) -> list[tuple[int, str]]:
    node = loc.node
    if isinstance(node, ast.Name) and node.id == "limit" and isinstance(node.ctx, ast.Load):
        return [(0, "`limit` -> 1"), (1, "`limit` -> limit + 1")]
    return []


def _find_policy(loc: _Located) -> list[tuple[int, str]]:
    node = loc.node
    if isinstance(node, ast.Attribute) and node.attr in POLICY_SWAPS:
        return [
            (i, f"`{_snippet(node)}` -> {new}") for i, new in enumerate(POLICY_SWAPS[node.attr])
        ]
    if (
        isinstance(node, ast.keyword)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, bool)
    ):
        return [(0, f"`{node.arg}={node.value.value}` -> {not node.value.value}")]
    return []


def _find_remove_try(loc: _Located) -> list[tuple[int, str]]:
    node = loc.node
    if not isinstance(node, ast.Try):
        return []
    found = [(0, "remove the try: keep only its body")]
    if node.finalbody:
        found.append((1, "remove the try: run the finally block only when the body succeeds"))
    return found


def _find_remove_with(loc: _Located) -> list[tuple[int, str]]:
    node = loc.node
    if isinstance(node, ast.With | ast.AsyncWith) and all(
        item.optional_vars is None for item in node.items
    ):
        return [(0, f"remove `{_snippet(node.items[0].context_expr)}` around its block")]
    return []


def _find_negate(loc: _Located) -> list[tuple[int, str]]:
    node = loc.node
    if isinstance(node, ast.If | ast.While):
        return [(0, f"negate `{_snippet(node.test)}`")]
    return []


_FINDERS: dict[str, Finder] = {
    "delete": _find_delete,
    "drop-await": _find_drop_await,
    "drop-call": _find_drop_call,
    "return-early": _find_return_early,
    "limit": _find_limit,
    "policy": _find_policy,
    "remove-try": _find_remove_try,
    "remove-with": _find_remove_with,
    "negate": _find_negate,
}
assert list(_FINDERS) == list(OPERATORS)


# -- applying a site ------------------------------------------------------------------


def _replace(loc: _Located, new: ast.AST | list[ast.stmt]) -> None:
    """Put ``new`` (a node, or statements for a statement) where ``loc.node`` is."""
    assert loc.parent is not None and loc.field is not None
    if loc.index is None:
        assert isinstance(new, ast.AST)
        setattr(loc.parent, loc.field, new)
        return
    seq = getattr(loc.parent, loc.field)
    items = new if isinstance(new, list) else [new]
    seq[loc.index : loc.index + 1] = items
    if not seq and loc.field != "orelse" and loc.field != "finalbody":
        seq.append(ast.Pass())


def apply(source: str, site: Site) -> str:
    """The source with ``site`` mutated (a fresh parse: ``source`` itself is untouched)."""
    tree = ast.parse(source)
    loc = _walk(tree)[site.node]
    node = loc.node
    op = site.operator
    if op == "delete":
        _replace(loc, [])
    elif op == "drop-await":
        assert isinstance(node, ast.Await)
        _replace(loc, node.value)
    elif op == "drop-call":
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        _replace(loc, node.func.value)
    elif op == "return-early":
        assert loc.index is not None
        getattr(loc.parent, loc.field or "").insert(loc.index + 1, ast.Return(value=None))
    elif op == "limit":
        one = ast.Constant(1)
        plus = ast.BinOp(ast.Name("limit", ast.Load()), ast.Add(), ast.Constant(1))
        _replace(loc, one if site.variant == 0 else plus)
    elif op == "policy":
        if isinstance(node, ast.Attribute):
            node.attr = POLICY_SWAPS[node.attr][site.variant]
        else:
            assert isinstance(node, ast.keyword) and isinstance(node.value, ast.Constant)
            node.value = ast.Constant(not node.value.value)
    elif op == "remove-try":
        assert isinstance(node, ast.Try)
        _replace(loc, node.body if site.variant == 0 else node.body + node.finalbody)
    elif op == "remove-with":
        assert isinstance(node, ast.With | ast.AsyncWith)
        _replace(loc, node.body)
    elif op == "negate":
        assert isinstance(node, ast.If | ast.While)
        node.test = ast.UnaryOp(ast.Not(), node.test)
    else:
        raise ValueError(f"unknown operator {op!r}; known: {', '.join(OPERATORS)}")
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
