"""The seed's tasks as the site lays them out: page, scenarios, benchmark plots."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    """One seed task.

    Attributes:
        id: ``"T1"`` .. ``"T9"``, as the property catalogue's ``tasks`` field names it.
        page: the hand-written page under ``docs/``.
        scenarios: the adapter-protocol scenario functions that implement it.
        figures: words one of the benchmark report's plot file names contains when the
            plot belongs on this task's page (empty: the task has no benchmark).
    """

    id: str
    page: str
    scenarios: tuple[str, ...]
    figures: tuple[str, ...] = ()


# Plot names as the benchmark report writes them (comparisons/bench_report):
# <scenario>.svg and one <scenario>_scaling_<loop>.svg per loop.
TASKS: tuple[Task, ...] = (
    Task("T1", "tasks/t1.md", ("load_dashboard",), ("t1_",)),
    Task("T2", "tasks/t2.md", ("run_scope",), ("spawn_join",)),
    Task("T3", "tasks/t3.md", ("fetch_all",), ("t3_",)),
    Task("T4", "tasks/t4.md", ()),
    Task("T5", "tasks/t5.md", ("run_shedded",), ("t5_",)),
    Task("T6", "tasks/t6.md", ("wait_then_spawn", "spawn_then_wait")),
    Task("T7", "tasks/t7.md", ("cause_of_cancel",), ("cancel_fanout",)),
    Task("T8", "tasks/t8.md", ("flusher",)),
    Task("T9", "tasks/t9.md", ("check_all",)),
)

TASKS_BY_ID = {t.id: t for t in TASKS}
