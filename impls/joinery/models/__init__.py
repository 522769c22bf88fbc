"""The model registry: one place that names every model the suite and benchmarks know.

A model is a module (see :mod:`joinery.models._protocol`). Load one with
:func:`load_model`, by registry name (``"taskgroup"``) or by import path
(``"mypkg.my_model"``) so that the suite can judge a library of your own.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from joinery.models._protocol import (
    BACKENDS,
    SCENARIOS,
    AsyncFn,
    Backend,
    Dashboard,
    DashboardAPI,
    Flusher,
    ModelInfo,
    Scope,
    Unsupported,
)

__all__ = [
    "BACKENDS",
    "CONTROL_MODELS",
    "REFERENCE_MODELS",
    "SCENARIOS",
    "AsyncFn",
    "Backend",
    "Dashboard",
    "DashboardAPI",
    "Flusher",
    "Model",
    "ModelInfo",
    "Scope",
    "Unsupported",
    "load_model",
    "registered_models",
]

REFERENCE_MODELS: dict[str, str] = {
    "bare": "joinery.models.bare",
    "gather": "joinery.models.gather",
    "taskgroup": "joinery.models.taskgroup",
    "nursery": "joinery.models.nursery",
    "linear": "joinery.models.linear",
    "taskgroup_eager": "joinery.models.taskgroup_eager",
}
"""The models the site compares, by registry name -> module."""

CONTROL_MODELS: dict[str, str] = {
    "seed_given": "joinery.models.seed_given",
}
"""Models that are meant to fail: the seed's given programs, ported bugs and all."""


@dataclass(frozen=True)
class Model:
    """A loaded model: its identity card and its module."""

    info: ModelInfo
    module: ModuleType

    @property
    def name(self) -> str:
        """The registry name."""
        return self.info.name

    def runs_on(self, backend: Backend) -> bool:
        """Whether the model's code runs on ``backend``."""
        return backend in self.info.backends

    def scenario(self, name: str) -> Callable[..., Any]:
        """The model's function for scenario ``name``.

        Raises:
            Unsupported: the model declared it cannot express the scenario.
            KeyError: ``name`` is not a scenario of the protocol.
        """
        if name not in SCENARIOS:
            raise KeyError(f"{name!r} is not a scenario; known: {', '.join(SCENARIOS)}")
        if name in self.info.unsupported:
            raise Unsupported(self.info.unsupported[name])
        fn: Callable[..., Any] = getattr(self.module, name)
        return fn


def registered_models(*, controls: bool = True) -> list[str]:
    """Registry names, reference models first."""
    names = list(REFERENCE_MODELS)
    if controls:
        names += list(CONTROL_MODELS)
    return names


def load_model(name_or_path: str) -> Model:
    """Load a model by registry name or by module import path.

    Raises:
        LookupError: no such model, or the module breaks the adapter protocol (the
            message names what is missing).
    """
    path = {**REFERENCE_MODELS, **CONTROL_MODELS}.get(name_or_path, name_or_path)
    try:
        module = importlib.import_module(path)
    except ModuleNotFoundError as exc:
        if exc.name is not None and path.startswith(exc.name):
            known = ", ".join(registered_models())
            raise LookupError(
                f"no model {name_or_path!r}: not a registry name ({known}) "
                "and not an importable module"
            ) from exc
        raise
    return _check_module(module, path)


def _check_module(module: ModuleType, path: str) -> Model:
    info = getattr(module, "MODEL", None)
    if not isinstance(info, ModelInfo):
        raise LookupError(f"model module {path!r} has no MODEL = ModelInfo(...)")
    bad_backends = [b for b in info.backends if b not in BACKENDS]
    if not info.backends or bad_backends:
        raise LookupError(
            f"model {info.name!r}: backends must be a non-empty subset of {BACKENDS}, "
            f"got {info.backends!r}"
        )
    for name in SCENARIOS:
        declared = name in info.unsupported
        present = callable(getattr(module, name, None))
        if declared and present:
            raise LookupError(
                f"model {info.name!r} both defines {name}() and declares it unsupported"
            )
        if not declared and not present:
            raise LookupError(
                f"model {info.name!r} defines no {name}(); define it, or name it in "
                "ModelInfo.unsupported with the reason"
            )
    unknown = set(info.unsupported) - set(SCENARIOS)
    if unknown:
        raise LookupError(f"model {info.name!r} declares unknown scenarios {sorted(unknown)}")
    return Model(info=info, module=module)
