"""The fixed mutant set: every operator at every site of every reference model.

A mutant is known by its *key*: model, operator, enclosing function, the text of the
mutated statement, the change, and an occurrence index among the sites that share all
of those. No line or sequence number is part of it, so an edit elsewhere in the model
(a new import, a longer docstring) leaves every other mutant's key, and its judgment, as
it was; an edit of the mutated statement itself retires the key, and the judgment with
it is reported as stale. Its name, ``mutant:<model>:<hash>``, is a digest of the key.
Mutants whose source equals the original or an earlier mutant are skipped: the set holds
no textual duplicates.
"""

from __future__ import annotations

import ast
import difflib
import functools
import hashlib
import linecache
import sys
import types
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from joinery.models import REFERENCE_MODELS, Model, ModelInfo, load_model
from joinery.models import _check_module as check_module
from joinery.mutants._operators import Site, apply, sites

MUTATED_MODELS: tuple[str, ...] = tuple(REFERENCE_MODELS)
"""The models whose modules are mutated: every reference model."""


@dataclass(frozen=True)
class Mutant:
    """One mutant of one model module.

    Attributes:
        model: the registry name of the original model.
        number: its position among the model's mutants, from 1 (no part of its name).
        site: where and how the source was changed.
        source: the whole mutated module source.
        occurrence: which of the sites with the same model, operator, function,
            statement and change this is, from 1 (e.g. the second ``try:`` of a function).
    """

    model: str
    number: int
    site: Site
    source: str
    occurrence: int = 1

    @property
    def key(self) -> tuple[str, str, str, str, str, int]:
        """(model, operator, function, statement, change, occurrence): what judgments name."""
        s = self.site
        return (self.model, s.operator, s.function, s.statement, s.what, self.occurrence)

    @property
    def id(self) -> str:
        """``mutant:<model>:<8 hex digits of the key's sha256>``."""
        digest = hashlib.sha256("\x1f".join(map(str, self.key)).encode()).hexdigest()
        return f"mutant:{self.model}:{digest[:8]}"

    @property
    def description(self) -> str:
        """Operator, place and change, in one line, no line number (edits shift those)."""
        s = self.site
        nth = f" (occurrence {self.occurrence})" if self.occurrence > 1 else ""
        return f"{s.operator} in {s.function}: {s.what}{nth}"


def original_source(model: str) -> str:
    """The source of reference model ``model``'s module, as it is on disk."""
    file = load_model(model).module.__file__
    if file is None:
        raise LookupError(f"model {model!r} has no source file to mutate")
    return Path(file).read_text(encoding="utf-8")


def normalized(source: str) -> str:
    """``source`` as ``ast.unparse`` writes it: what mutants are compared and diffed with."""
    return ast.unparse(ast.parse(source)) + "\n"


def source_digest(model: str) -> str:
    """The sha256 of the model's source: the mutant numbers hold for this digest only."""
    return hashlib.sha256(original_source(model).encode()).hexdigest()


def generate(model: str) -> list[Mutant]:
    """Every mutant of ``model``, in walk order, no two with the same source or key.

    Raises:
        LookupError: ``model`` is not a reference model.
    """
    if model not in MUTATED_MODELS:
        known = ", ".join(MUTATED_MODELS)
        raise LookupError(f"no mutants of {model!r}: the mutated models are {known}")
    return list(_generate(model, original_source(model)))


@functools.lru_cache(maxsize=len(MUTATED_MODELS))
def _generate(model: str, source: str) -> tuple[Mutant, ...]:
    # Cached by source text: a few seconds of parsing, shared by every caller.
    seen = {normalized(source)}
    made: list[Mutant] = []
    # Occurrences are counted over every site, kept or not, so that a site that becomes
    # a duplicate does not renumber the ones after it.
    occurrences: Counter[tuple[str, str, str, str]] = Counter()
    for site in sites(ast.parse(source)):
        place = (site.operator, site.function, site.statement, site.what)
        occurrences[place] += 1
        text = apply(source, site)
        if text in seen:
            continue
        try:
            compile(text, "<mutant>", "exec")
        except SyntaxError:
            continue  # e.g. a deleted statement that left a `nonlocal` after its use
        seen.add(text)
        made.append(Mutant(model, len(made) + 1, site, text, occurrences[place]))
    ids = [m.id for m in made]
    if len(set(ids)) != len(ids):  # a digest collision: lengthen the digest
        raise RuntimeError(f"two mutants of {model} share a name; lengthen Mutant.id's digest")
    return tuple(made)


def diff(mutant: Mutant, context: int = 2) -> str:
    """A unified diff from the (normalized) original to the mutant."""
    before = normalized(original_source(mutant.model)).splitlines(keepends=True)
    after = mutant.source.splitlines(keepends=True)
    name = f"impls/joinery/models/{mutant.model}.py"
    lines = difflib.unified_diff(before, after, name, mutant.id, n=context)
    return "".join(lines)


def load(mutant: Mutant) -> Model:
    """The mutant as a model named ``mutant.id``, on the original model's backends.

    The module is registered in ``sys.modules`` (under ``joinery.mutants.loaded.*``)
    while it lives, because tools such as ``dataclasses`` look a class's module up there.
    """
    name = f"joinery.mutants.loaded.{mutant.id.replace(':', '_')}"
    module = types.ModuleType(name, f"{mutant.id}: {mutant.description}")
    module.__file__ = f"<{mutant.id}>"
    sys.modules[name] = module
    # Tracebacks and the leak detector's await chains show the mutant's own lines.
    lines = mutant.source.splitlines(keepends=True)
    linecache.cache[module.__file__] = (len(mutant.source), None, lines, module.__file__)
    exec(compile(mutant.source, module.__file__, "exec"), module.__dict__)
    info: ModelInfo = module.__dict__["MODEL"]  # set by the exec above
    module.__dict__["MODEL"] = replace(
        info,
        name=mutant.id,
        title=f"{info.title}, {mutant.id}",
        summary=f"{info.title} mutated: {mutant.description}",
    )
    return check_module(module, name, kind="mutant")
