"""A test model proving per-backend *unsupported*, both ways a model can say it.

anyio's adapter on both loops, except: T8 (``flusher``) is *declared* unsupported on
trio in ``ModelInfo.unsupported``, and T9 (``check_all``) *raises* ``Unsupported`` when
it runs on trio. The suite must record both trio cells as unsupported with these
reasons, and judge the asyncio cells as usual. Loaded by file path, as a user would.
"""

from __future__ import annotations

from collections.abc import Sequence

import sniffio
from joinery.models import AsyncFn, ModelInfo, Unsupported
from joinery.models import anyio_taskgroup as _anyio
from joinery.models.anyio_taskgroup import (
    cause_of_cancel,
    fetch_all,
    flusher,
    load_dashboard,
    run_scope,
    run_shedded,
    spawn_then_wait,
    wait_then_spawn,
)

__all__ = [
    "MODEL",
    "cause_of_cancel",
    "check_all",
    "fetch_all",
    "flusher",
    "load_dashboard",
    "run_scope",
    "run_shedded",
    "spawn_then_wait",
    "wait_then_spawn",
]

DECLARED = "declared: this test model keeps no daemon on trio"
RAISED = "raised: this test model cannot run checks on trio"

MODEL = ModelInfo(
    name="backend_limited",
    title="backend-limited test model",
    backends=("asyncio", "trio"),
    summary="anyio's adapter with T8 declared unsupported on trio and T9 raising there.",
    unsupported={"flusher": {"trio": DECLARED}},
)


async def check_all(checks: Sequence[AsyncFn]) -> None:
    if sniffio.current_async_library() == "trio":
        raise Unsupported(RAISED)
    await _anyio.check_all(checks)
