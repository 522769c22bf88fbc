"""Rows: what a benchmark measures, one per model and per native reference.

A *model row* drives a registry model through the adapter protocol only (``run_scope``
and the scenario functions), so no benchmark is written per model. A *native row* is
the library used directly, written once here: asyncio.TaskGroup, the trio nursery and
anyio's TaskGroup. Two *direct rows* use joinery.task itself without the model's adapter:
``launch`` (no handle: what the native groups do) and ``spawn`` with every handle
awaited (the linear API's price). A *floor row* awaits the same coroutines one after the other in a
single task: what the work costs with a loop but no concurrency.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import anyio
import trio
from joinery import task
from joinery.models import (
    AsyncFn,
    Model,
    Scope,
    Unsupported,
    kind_of,
    load_model,
    registered_models,
)

from benchmarks._drivers import FLAVORS, Flavor

Kind = Literal["model", "direct", "native", "floor"]
SpawnN = Callable[[int, AsyncFn], Awaitable[None]]
Group = Callable[[Sequence[AsyncFn]], Awaitable[None]]


@dataclass(frozen=True)
class Row:
    """One line of a table: a way of running children, and the loops it runs on.

    Attributes:
        id: stable key used in benchmark ids and in the JSON, e.g. ``"taskgroup"`` or
            ``"native:asyncio.TaskGroup"``.
        title: what the report prints.
        kind: model, joinery.task used directly, native reference, or floor.
        flavors: the loops it runs on.
        spawn_n: ``await spawn_n(n, fn)`` runs ``fn()`` n times as children and joins them;
            ``None`` when the row cannot (see ``why_not``).
        group: ``await group(fns)`` runs every ``fns[i]()`` as a child of one group and
            joins them; a failing child must cancel its siblings. ``None`` if unsupported.
        model: the registry model behind a model row.
        why_not: the reason ``spawn_n``/``group`` are missing.
    """

    id: str
    title: str
    kind: Kind
    flavors: tuple[Flavor, ...]
    spawn_n: SpawnN | None
    group: Group | None
    model: Model | None = None
    why_not: str | None = None


# -- native references, written once ---------------------------------------------------


async def _taskgroup_spawn_n(n: int, fn: AsyncFn) -> None:
    async with asyncio.TaskGroup() as tg:
        for _ in range(n):
            tg.create_task(fn())


async def _taskgroup_group(fns: Sequence[AsyncFn]) -> None:
    async with asyncio.TaskGroup() as tg:
        for fn in fns:
            tg.create_task(fn())


async def _nursery_spawn_n(n: int, fn: AsyncFn) -> None:
    async with trio.open_nursery() as nursery:
        for _ in range(n):
            nursery.start_soon(fn)


async def _nursery_group(fns: Sequence[AsyncFn]) -> None:
    async with trio.open_nursery() as nursery:
        for fn in fns:
            nursery.start_soon(fn)


async def _anyio_spawn_n(n: int, fn: AsyncFn) -> None:
    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(fn)


async def _anyio_group(fns: Sequence[AsyncFn]) -> None:
    async with anyio.create_task_group() as tg:
        for fn in fns:
            tg.start_soon(fn)


async def _launch_spawn_n(n: int, fn: AsyncFn) -> None:
    async with task.scope() as s:
        for _ in range(n):
            s.launch(fn)


async def _launch_group(fns: Sequence[AsyncFn]) -> None:
    async with task.scope() as s:
        for fn in fns:
            s.launch(fn)


async def _handles_spawn_n(n: int, fn: AsyncFn) -> None:
    async with task.scope() as s:
        handles = [s.spawn(fn) for _ in range(n)]
        for h in handles:
            await h


async def _handles_group(fns: Sequence[AsyncFn]) -> None:
    async with task.scope() as s:
        handles = [s.spawn(fn) for fn in fns]
        for h in handles:
            await h  # a sibling's failure: Cancelled here, the scope raises the failure


async def _floor_spawn_n(n: int, fn: AsyncFn) -> None:
    for _ in range(n):
        await fn()


NATIVE_ROWS: tuple[Row, ...] = (
    Row(
        "native:asyncio.TaskGroup",
        "asyncio.TaskGroup (direct)",
        "native",
        ("asyncio", "asyncio+uvloop"),
        _taskgroup_spawn_n,
        _taskgroup_group,
    ),
    Row(
        "native:trio.nursery",
        "trio nursery (direct)",
        "native",
        ("trio",),
        _nursery_spawn_n,
        _nursery_group,
    ),
    Row(
        "native:anyio.TaskGroup",
        "anyio TaskGroup (direct)",
        "native",
        FLAVORS,
        _anyio_spawn_n,
        _anyio_group,
    ),
    Row(
        "direct:task.launch",
        "joinery.task launch() (direct)",
        "direct",
        FLAVORS,
        _launch_spawn_n,
        _launch_group,
    ),
    Row(
        "direct:task.spawn",
        "joinery.task spawn() + await (direct)",
        "direct",
        FLAVORS,
        _handles_spawn_n,
        _handles_group,
    ),
    Row(
        "floor:await",
        "floor: awaited in sequence",
        "floor",
        FLAVORS,
        _floor_spawn_n,
        None,
        why_not="no group: the floor runs nothing concurrently",
    ),
)

REFERENCE_ID = "native:asyncio.TaskGroup"
"""The row every table's ``x asyncio.TaskGroup`` column divides by (on plain asyncio)."""

NATIVE_BY_BACKEND: dict[Flavor, str] = {
    "asyncio": "native:asyncio.TaskGroup",
    "asyncio+uvloop": "native:asyncio.TaskGroup",
    "trio": "native:trio.nursery",
}
"""The backend's own group, for the ``x native`` column (issue 3's 1.15x target)."""


# -- model rows, through the adapter protocol ------------------------------------------


class _SpawnAll:
    """A body for ``run_scope`` that spawns ``fns`` (or ``fn`` n times) and returns."""

    __slots__ = ("fn", "fns", "n")

    def __init__(self, fn: AsyncFn | None, n: int, fns: Sequence[AsyncFn]) -> None:
        self.fn, self.n, self.fns = fn, n, fns

    async def __call__(self, scope: Scope) -> None:
        spawn = scope.spawn
        fn = self.fn
        if fn is not None:
            for _ in range(self.n):
                spawn(fn)
        for each in self.fns:
            spawn(each)


def model_row(model: Model) -> Row:
    """The row that runs ``model``'s ``run_scope`` on every backend it declares."""
    flavors = tuple(f for f in FLAVORS if model.runs_on("trio" if f == "trio" else "asyncio"))
    title = model.name  # the models table of the report gives each one's long title
    try:
        run_scope = model.scenario("run_scope")
    except Unsupported as exc:
        return Row(model.name, title, "model", flavors, None, None, model, f"unsupported: {exc}")

    async def spawn_n(n: int, fn: AsyncFn) -> None:
        await run_scope(_SpawnAll(fn, n, ()))

    async def group(fns: Sequence[AsyncFn]) -> None:
        await run_scope(_SpawnAll(None, 0, fns))

    return Row(model.name, title, "model", flavors, spawn_n, group, model)


def is_control(name: str) -> bool:
    """Control models are meant to break; benchmarks leave them out."""
    return kind_of(name) in ("control", "mutant")  # the registry says which


@dataclass(frozen=True)
class ModelLoad:
    """What happened when the benchmarks tried to load one model."""

    name: str
    row: Row | None
    skipped: str | None


def load_model_rows(names: Sequence[str] | None = None) -> list[ModelLoad]:
    """Model rows for ``names`` (default: every non-control registry model).

    A model that does not import yet is reported as skipped with the loader's message,
    never silently dropped.
    """
    if names is None:
        names = [n for n in registered_models(controls=False) if not is_control(n)]
    loads: list[ModelLoad] = []
    for name in names:
        if is_control(name):
            loads.append(ModelLoad(name, None, "control model: meant to break, not timed"))
            continue
        try:
            model = load_model(name)
        except (LookupError, ImportError) as exc:
            loads.append(ModelLoad(name, None, f"cannot load: {exc}"))
            continue
        if model.control:
            loads.append(ModelLoad(name, None, "control model: meant to break, not timed"))
            continue
        loads.append(ModelLoad(model.name, model_row(model), None))
    return loads


def all_rows(loads: Sequence[ModelLoad]) -> list[Row]:
    """Model rows first, then the native references and the floor."""
    return [m.row for m in loads if m.row is not None] + list(NATIVE_ROWS)


def find_row(row_id: str, loads: Sequence[ModelLoad] | None = None) -> Row:
    """The row with ``row_id`` (a native id, or a model's registry name or import path)."""
    for row in NATIVE_ROWS:
        if row.id == row_id:
            return row
    for load in loads if loads is not None else load_model_rows([row_id]):
        if load.row is not None and load.row.id == row_id:
            return load.row
        if load.name == row_id and load.skipped:
            raise LookupError(f"row {row_id!r}: {load.skipped}")
    raise LookupError(f"no benchmark row {row_id!r}")
