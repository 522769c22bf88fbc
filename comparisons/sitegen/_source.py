"""Scenario code taken from the model sources by AST, so the site never holds a copy.

A task page shows each model's scenario function exactly as the suite runs it, with
the module-level helpers it uses (a flusher class, a private ``_collect``), and the
line numbers of the real file: edit the model and the next build shows the edit.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from pathlib import Path

_Def = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True)
class CodeBlock:
    """One top-level definition cut from a source file."""

    name: str
    path: Path
    first: int
    last: int
    text: str


def _span(node: _Def) -> tuple[int, int]:
    # Decorators sit above the ``def`` line: @asynccontextmanager is part of T8's code.
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    last = node.end_lineno or node.lineno
    return first, last


def _top_level_defs(tree: ast.Module) -> dict[str, _Def]:
    return {
        n.name: n
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def _names_used(node: ast.AST) -> set[str]:
    used: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            used.add(n.id)
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
            used.add(n.value.id)
    return used


def extract_scenario(
    path: Path, name: str, *, exclude: frozenset[str] = frozenset()
) -> list[CodeBlock]:
    """The top-level definition ``name`` in ``path`` and the module-level helpers it uses.

    Helpers are the module's own top-level functions and classes that the scenario
    refers to, directly or through another helper, in file order. Definitions named
    in ``exclude`` (the other scenarios shown beside this one) are left out.

    Raises:
        LookupError: the file does not exist or defines no top-level ``name``.
        SyntaxError: the file does not parse.
    """
    if not path.is_file():
        raise LookupError(f"{path}: model source file does not exist")
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    defs = _top_level_defs(tree)
    if name not in defs:
        raise LookupError(f"{path}: no top-level definition {name!r}")
    wanted = {name}
    todo = [defs[name]]
    while todo:
        for used in _names_used(todo.pop()):
            if used in defs and used not in wanted and used not in exclude:
                wanted.add(used)
                todo.append(defs[used])
    lines = source.splitlines()
    blocks = []
    for def_name, node in defs.items():
        if def_name in wanted:
            first, last = _span(node)
            text = "\n".join(lines[first - 1 : last])
            blocks.append(CodeBlock(def_name, path, first, last, text))
    return sorted(blocks, key=lambda b: b.first)


def _docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                end = body[0].end_lineno or body[0].lineno
                lines.update(range(body[0].lineno, end + 1))
    return lines


def count_lines(text: str) -> tuple[int, int]:
    """(all lines, code lines) of a snippet.

    Code lines are those holding a token other than a comment, a blank or a docstring:
    what a reader has to read to follow the logic.
    """
    total = len(text.splitlines())
    doc = _docstring_lines(ast.parse(text))
    code: set[int] = set()
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in skip or tok.type == tokenize.ENDMARKER:
            continue
        for line in range(tok.start[0], tok.end[0] + 1):
            if line not in doc:
                code.add(line)
    return total, len(code)
