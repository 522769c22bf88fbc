"""A Griffe extension: render the reST bits of our docstrings as Markdown for the site.

The library's docstrings are read in two places: ``help()`` and IDEs, where reST roles
such as ``:class:`Handle``` are the convention, and this site, where mkdocstrings
renders Markdown and would print the roles literally. Rather than write every
docstring twice, this extension rewrites them once, at load time:

* ``:class:`X```, ``:func:``, ``:meth:``, ``:attr:``, ``:exc:``, ``:mod:`` (with an
  optional ``~``) become a cross-reference to the documented object when the name
  resolves to one of the public modules the site documents (``PUBLIC``), and plain
  code otherwise, so that a reference can never be a broken link;
* a paragraph ending in reST's literal-block marker ``::`` ends in ``:`` instead (the
  indented block after it is already a Markdown code block).

mkdocs.yml loads it by module name (``comparisons.sitegen.griffe_roles``): the hook puts
the repository root on ``sys.path`` first.
"""

from __future__ import annotations

import re
from typing import Any

from griffe import Extension, GriffeLoader, Object

PUBLIC = ("joinery.task", "joinery.leaks")
"""The modules the site documents: a reference is linked only into their exports."""

_ROLE = re.compile(r":(?:class|func|meth|attr|exc|mod|data|obj):`(~?)([A-Za-z_][\w.]*)(\(\))?`")
_LITERAL = re.compile(r"(?<=\S)::[ \t]*$", re.MULTILINE)
_BARE_LITERAL = re.compile(r"^([ \t]*)::[ \t]*$", re.MULTILINE)


def _exports(loader: GriffeLoader, module: str) -> set[str]:
    try:
        obj = loader.modules_collection[module]
    except KeyError:
        return set()
    names = getattr(obj, "exports", None)
    return {str(n) for n in names} if names else set()


def resolve(name: str, context: str, exports: dict[str, set[str]]) -> str | None:
    """The public path ``name`` refers to from the object at ``context``, if documented.

    Args:
        name: the role's target as written (``Handle``, ``Handle.discard``,
            ``joinery.leaks.find``).
        context: the dotted path of the object whose docstring holds the role.
        exports: each public module's exported names.

    Returns:
        ``module.Name[.member]`` for a name a public module exports, else ``None``.
    """
    for module, names in exports.items():
        if name == module:
            return module
        if name.startswith(module + "."):
            rest = name[len(module) + 1 :]
            return name if rest.split(".")[0] in names else None
    head = name.split(".")[0]
    # Unqualified: look in the public module the object belongs to first, then the rest.
    owners = sorted(exports, key=lambda m: not context.startswith(m + "."))
    for module in owners:
        if head in exports[module]:
            return f"{module}.{name}"
    return None


class RolesToMarkdown(Extension):
    """Rewrite reST roles and literal-block markers in every loaded docstring."""

    def on_object(self, *, obj: Object, loader: GriffeLoader, **kwargs: Any) -> None:
        """Rewrite ``obj``'s docstring once the object tree is complete."""
        doc = obj.docstring
        if doc is None:
            return
        exports = {m: _exports(loader, m) for m in PUBLIC}

        def one(m: re.Match[str]) -> str:
            short, name, call = m.group(1), m.group(2), m.group(3) or ""
            shown = (name.rsplit(".", 1)[-1] if short else name) + call
            target = resolve(name, obj.path, exports)
            return f"[`{shown}`][{target}]" if target else f"`{shown}`"

        text = _ROLE.sub(one, doc.value)
        text = _BARE_LITERAL.sub("", text)
        doc.value = _LITERAL.sub(":", text)
