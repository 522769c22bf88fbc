"""The seed's tasks as the site lays them out: page, scenarios, benchmark plots."""

from __future__ import annotations

from dataclasses import dataclass

from joinery.models import TASK_SCENARIOS


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
    figures: tuple[str, ...] = ()

    @property
    def scenarios(self) -> tuple[str, ...]:
        """The scenario functions that implement the task (``joinery.models.TASK_SCENARIOS``)."""
        return TASK_SCENARIOS[self.id]


# Plot names as the benchmark report writes them (comparisons/bench_report):
# <scenario>.svg and one <scenario>_scaling_<loop>.svg per loop.
TASKS: tuple[Task, ...] = (
    Task("T1", "tasks/t1.md", ("t1_",)),
    Task("T2", "tasks/t2.md", ("spawn_join",)),
    Task("T3", "tasks/t3.md", ("t3_",)),
    Task("T4", "tasks/t4.md"),
    Task("T5", "tasks/t5.md", ("t5_",)),
    Task("T6", "tasks/t6.md"),
    Task("T7", "tasks/t7.md", ("cancel_fanout",)),
    Task("T8", "tasks/t8.md"),
    Task("T9", "tasks/t9.md"),
)
if {t.id for t in TASKS} != set(TASK_SCENARIOS):  # one page per task of the registry's map
    raise RuntimeError(f"site tasks {[t.id for t in TASKS]} != {sorted(TASK_SCENARIOS)}")

TASKS_BY_ID = {t.id: t for t in TASKS}
