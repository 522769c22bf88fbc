"""The model registry: one place that names every model the suite and benchmarks know.

A model is a module (see :mod:`joinery.models._protocol`). Load one with
:func:`load_model`, by registry name (``"taskgroup"``), by import path
(``"mypkg.my_model"``) or by file path (``"./my_model.py"``) so that the suite can judge
a library of your own. The registry is also the one place that says what *kind* a
model is: a reference model the site compares, a control meant to fail, an adapter of a
library written elsewhere, or (for models built by the suite) a deliberately broken
program.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from joinery.models._protocol import (
    BACKENDS,
    SCENARIOS,
    TASK_SCENARIOS,
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
    "KINDS",
    "REFERENCE_MODELS",
    "REGISTRY",
    "SCENARIOS",
    "TASK_SCENARIOS",
    "THIRD_PARTY_MODELS",
    "AsyncFn",
    "Backend",
    "Dashboard",
    "DashboardAPI",
    "Flusher",
    "Kind",
    "Model",
    "ModelInfo",
    "Scope",
    "Unsupported",
    "kind_of",
    "load_model",
    "registered_models",
]

Kind = Literal["reference", "control", "third-party", "mutant", "external"]
"""What a model is: see :data:`KINDS`."""

KINDS: dict[Kind, str] = {
    "reference": "a model the site compares, written here as its library's docs would",
    "control": "a model meant to fail: the seed's given programs, ported bugs and all",
    "third-party": "an adapter of a library nobody here wrote, judged as a new user would",
    "mutant": "a deliberately broken copy of a model, built by the suite to prove it can fail",
    "external": "a model loaded by import or file path from outside the registry",
}
"""Every kind, with what it means."""

REFERENCE_MODELS: dict[str, str] = {
    "bare": "joinery.models.bare",
    "gather": "joinery.models.gather",
    "taskgroup": "joinery.models.taskgroup",
    "nursery": "joinery.models.nursery",
    "linear": "joinery.models.linear",
    "taskgroup_eager": "joinery.models.taskgroup_eager",
}
"""The models the site compares, by registry name -> module."""

THIRD_PARTY_MODELS: dict[str, str] = {
    "anyio_taskgroup": "joinery.models.anyio_taskgroup",
    "aiotools": "joinery.models.aiotools_taskgroup",
    "quattro": "joinery.models.quattro_taskgroup",
}
"""Adapters of libraries written elsewhere (the ``thirdparty`` extra installs them)."""

CONTROL_MODELS: dict[str, str] = {
    "seed_given": "joinery.models.seed_given",
}
"""Models that are meant to fail: the seed's given programs, ported bugs and all."""

REGISTRY: dict[Kind, dict[str, str]] = {
    "reference": REFERENCE_MODELS,
    "third-party": THIRD_PARTY_MODELS,
    "control": CONTROL_MODELS,
}
"""Kind -> registry name -> module: the one copy of "which model is what"."""


def kind_of(name: str) -> Kind:
    """The kind of the registry model ``name``; ``"external"`` for any other name."""
    for kind, models in REGISTRY.items():
        if name in models:
            return kind
    return "external"


@dataclass(frozen=True)
class Model:
    """A loaded model: its identity card, its module and what the registry calls it.

    A model bound to a backend (:meth:`on`) applies the backend's ``unsupported``
    declarations and notes every :class:`Unsupported` its scenarios raise while they run,
    so that the suite can record *unsupported* with the model's own reason.
    """

    info: ModelInfo
    module: ModuleType
    kind: Kind = "external"
    backend: Backend | None = None
    raised_unsupported: list[str] = field(default_factory=list, compare=False, repr=False)

    @property
    def name(self) -> str:
        """The registry name."""
        return self.info.name

    @property
    def control(self) -> bool:
        """True for a model meant to fail (a control or a deliberately broken program)."""
        return self.kind in ("control", "mutant")

    def runs_on(self, backend: Backend) -> bool:
        """Whether the model's code runs on ``backend``."""
        return backend in self.info.backends

    def on(self, backend: Backend) -> Model:
        """This model as run on ``backend``, with a fresh record of raised Unsupported.

        Raises:
            ValueError: the model does not run on ``backend``.
        """
        if not self.runs_on(backend):
            raise ValueError(
                f"model {self.name!r} runs on {', '.join(self.info.backends)}, not {backend}"
            )
        return replace(self, backend=backend, raised_unsupported=[])

    def scenario(self, name: str) -> Callable[..., Any]:
        """The model's function for scenario ``name``.

        Raises:
            Unsupported: the model declared it cannot express the scenario (on the bound
                backend, if any).
            KeyError: ``name`` is not a scenario of the protocol.
        """
        if name not in SCENARIOS:
            raise KeyError(f"{name!r} is not a scenario; known: {', '.join(SCENARIOS)}")
        why = self.info.unsupported.get(name)
        if isinstance(why, str):
            raise Unsupported(why)
        if why is not None and self.backend is not None and self.backend in why:
            raise Unsupported(why[self.backend])
        fn: Callable[..., Any] = getattr(self.module, name)
        if self.backend is None:
            return fn
        return _watched(fn, self.raised_unsupported)


def _unsupported_reasons(exc: BaseException) -> list[str]:
    if isinstance(exc, Unsupported):
        return [str(exc)]
    if isinstance(exc, BaseExceptionGroup):
        return [r for sub in exc.exceptions for r in _unsupported_reasons(sub)]
    return []


def _watched(fn: Callable[..., Any], raised: list[str]) -> Callable[..., Any]:
    """``fn``, noting in ``raised`` every Unsupported it or its awaitable raises.

    An async context manager it returns is watched too. Behaviour, results and
    exceptions are otherwise unchanged.
    """

    def note(exc: BaseException) -> None:
        raised.extend(_unsupported_reasons(exc))

    async def awaited(aw: Any) -> Any:
        try:
            return await aw
        except BaseException as exc:
            note(exc)
            raise

    class WatchedContext:
        def __init__(self, cm: Any) -> None:
            self._cm = cm

        async def __aenter__(self) -> Any:
            return await awaited(self._cm.__aenter__())

        async def __aexit__(self, *exc_info: Any) -> Any:
            return await awaited(self._cm.__aexit__(*exc_info))

    @functools.wraps(fn)
    def watched(*args: Any, **kwargs: Any) -> Any:
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            note(exc)
            raise
        if inspect.isawaitable(result):
            return awaited(result)
        if hasattr(result, "__aenter__"):
            return WatchedContext(result)
        return result

    return watched


def registered_models(*, controls: bool = True, third_party: bool | None = None) -> list[str]:
    """Registry names: reference models, then third-party adapters, then controls.

    Args:
        controls: include the control models.
        third_party: include the third-party adapters (default: as ``controls``, so
            ``controls=False`` asks for the reference models alone).
    """
    names = list(REFERENCE_MODELS)
    if controls if third_party is None else third_party:
        names += list(THIRD_PARTY_MODELS)
    if controls:
        names += list(CONTROL_MODELS)
    return names


def load_model(name_or_path: str) -> Model:
    """Load a model by registry name, module import path or ``.py`` file path.

    Raises:
        LookupError: no such model; the module failed to import (the message carries
            the real error, e.g. the missing package); the module breaks the adapter
            protocol; or its ``ModelInfo.name`` does not match the name it was loaded by.
    """
    kind = kind_of(name_or_path)
    if kind != "external":
        module = _import(REGISTRY[kind][name_or_path], name_or_path)
        model = _check_module(module, module.__name__, kind=kind)
        if model.name != name_or_path:
            raise LookupError(
                f"registry entry {name_or_path!r} loads {module.__name__}, whose "
                f"ModelInfo.name is {model.name!r}: the two must match, or its verdicts "
                f"would be reported under the wrong name"
            )
        return model
    if name_or_path.endswith(".py") or "/" in name_or_path or "\\" in name_or_path:
        module = _import_file(Path(name_or_path))
    else:
        module = _import(name_or_path, name_or_path)
    model = _check_module(module, name_or_path)
    registered = kind_of(model.name)
    if registered != "external" and REGISTRY[registered][model.name] == module.__name__:
        return replace(model, kind=registered)  # a registry model named by its module path
    if registered != "external":
        raise LookupError(
            f"model {name_or_path!r} calls itself {model.name!r}, the registry's name for "
            f"{REGISTRY[registered][model.name]}: give ModelInfo.name a name of "
            "its own (a copied model keeps the original's name)"
        )
    return model


def _import(path: str, asked: str) -> ModuleType:
    try:
        return importlib.import_module(path)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (path == exc.name or path.startswith(exc.name + ".")):
            known = ", ".join(registered_models())
            raise LookupError(
                f"no model {asked!r}: not a registry name ({known}), not a .py file and "
                "not an importable module"
            ) from exc
        raise _import_failed(asked, exc) from exc
    except Exception as exc:
        raise _import_failed(asked, exc) from exc


def _import_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise LookupError(f"no model file {str(path)!r}")
    module_name = f"joinery_model_file_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise LookupError(f"cannot import {str(path)!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look modules up here
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise _import_failed(str(path), exc) from exc
    return module


def _import_failed(asked: str, exc: Exception) -> LookupError:
    hint = ""
    if isinstance(exc, ModuleNotFoundError):
        hint = (
            f"; the library a model adapts must be installed in the environment that runs "
            f"the suite ({Path(sys.executable).name} -m pip install {exc.name or '...'})"
        )
    return LookupError(f"model {asked!r} failed to import: {type(exc).__name__}: {exc}{hint}")


def _check_module(module: ModuleType, path: str, *, kind: Kind = "external") -> Model:
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
        why = info.unsupported.get(name)
        everywhere = isinstance(why, str) or (why is not None and set(info.backends) <= set(why))
        present = callable(getattr(module, name, None))
        if everywhere and present:
            raise LookupError(
                f"model {info.name!r} both defines {name}() and declares it unsupported "
                "on every backend it runs on"
            )
        if not everywhere and not present:
            raise LookupError(
                f"model {info.name!r} defines no {name}(); define it, or name it in "
                "ModelInfo.unsupported with the reason"
            )
        if why is not None and not isinstance(why, str):
            stray = set(why) - set(info.backends)
            if stray or not all(isinstance(r, str) and r for r in why.values()):
                raise LookupError(
                    f"model {info.name!r}: unsupported[{name!r}] must map backends it runs "
                    f"on ({', '.join(info.backends)}) to reasons, got {dict(why)!r}"
                )
    unknown = set(info.unsupported) - set(SCENARIOS)
    if unknown:
        raise LookupError(f"model {info.name!r} declares unknown scenarios {sorted(unknown)}")
    return Model(info=info, module=module, kind=kind)
