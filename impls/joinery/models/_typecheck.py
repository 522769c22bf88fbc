"""Every model module, checked by mypy against the scenario Protocols of ``_protocol``.

Nothing here runs: a module is passed where a Protocol of module attributes is
expected, and mypy (strict, over ``impls``) reports a scenario whose signature drifts
from the protocol, e.g. ``load_dashboard(api, user_id: int)``. A model added to the
registry must be added here too; ``tests/models/test_typecheck.py`` checks that every
registered model and every scenario it defines is named below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from joinery.models._protocol import (
    CauseOfCancel,
    CheckAll,
    FetchAll,
    LoadDashboard,
    MakeFlusher,
    ModelInfo,
    RunScope,
    RunShedded,
    SpawnAround,
)


class HasModel(Protocol):
    """A model module's identity card."""

    @property
    def MODEL(self) -> ModelInfo: ...


class HasLoadDashboard(HasModel, Protocol):
    """T1."""

    @property
    def load_dashboard(self) -> LoadDashboard: ...


class HasRunScope(HasModel, Protocol):
    """T2."""

    @property
    def run_scope(self) -> RunScope: ...


class HasFetchAll(HasModel, Protocol):
    """T3."""

    @property
    def fetch_all(self) -> FetchAll: ...


class HasRunShedded(HasModel, Protocol):
    """T5."""

    @property
    def run_shedded(self) -> RunShedded: ...


class HasSpawnAround(HasModel, Protocol):
    """T6, both ways round."""

    @property
    def wait_then_spawn(self) -> SpawnAround: ...

    @property
    def spawn_then_wait(self) -> SpawnAround: ...


class HasCauseOfCancel(HasModel, Protocol):
    """T7."""

    @property
    def cause_of_cancel(self) -> CauseOfCancel: ...


class HasFlusher(HasModel, Protocol):
    """T8."""

    @property
    def flusher(self) -> MakeFlusher: ...


class HasCheckAll(HasModel, Protocol):
    """T9."""

    @property
    def check_all(self) -> CheckAll: ...


class Complete(
    HasLoadDashboard,
    HasRunScope,
    HasFetchAll,
    HasRunShedded,
    HasSpawnAround,
    HasCauseOfCancel,
    HasFlusher,
    HasCheckAll,
    Protocol,
):
    """A model that expresses every scenario."""


def complete(module: Complete) -> None:
    """Type-check ``module`` as a model of every scenario."""


def load_dashboard(module: HasLoadDashboard) -> None:
    """Type-check ``module``'s T1."""


def run_scope(module: HasRunScope) -> None:
    """Type-check ``module``'s T2."""


def fetch_all(module: HasFetchAll) -> None:
    """Type-check ``module``'s T3."""


def run_shedded(module: HasRunShedded) -> None:
    """Type-check ``module``'s T5."""


def spawn_around(module: HasSpawnAround) -> None:
    """Type-check ``module``'s T6 (both scenarios)."""


def cause_of_cancel(module: HasCauseOfCancel) -> None:
    """Type-check ``module``'s T7."""


def flusher(module: HasFlusher) -> None:
    """Type-check ``module``'s T8."""


def check_all(module: HasCheckAll) -> None:
    """Type-check ``module``'s T9."""


if TYPE_CHECKING:  # mypy reads this; nothing imports the models at run time
    from joinery.models import (
        aiotools_taskgroup,
        anyio_taskgroup,
        bare,
        gather,
        linear,
        nursery,
        quattro_taskgroup,
        seed_given,
        taskgroup,
    )

    complete(bare)
    complete(taskgroup)
    complete(nursery)
    complete(linear)
    complete(anyio_taskgroup)
    complete(aiotools_taskgroup)
    complete(quattro_taskgroup)
    # gather cannot express T8 (declared unsupported): every other scenario.
    load_dashboard(gather)
    run_scope(gather)
    fetch_all(gather)
    run_shedded(gather)
    spawn_around(gather)
    cause_of_cancel(gather)
    check_all(gather)
    # The seed gives programs for T1, T6, T8 and T9 only.
    load_dashboard(seed_given)
    spawn_around(seed_given)
    flusher(seed_given)
    check_all(seed_given)
