"""The two profiles: quick (the main job, a few minutes on 2 cores) and full (publication)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """Sizes and round counts of one benchmark run.

    Attributes:
        name: ``quick`` or ``full``.
        spawn_ns: N for spawn+join of N trivial children.
        cancel_n: parked siblings cancelled when one child fails.
        memory_n: parked children per tracemalloc measurement.
        rss_n: parked children in the peak-RSS subprocess.
        t1_calls: dashboards per T1 round.
        t3_items: items per T3 round (limit 16).
        t5_jobs: jobs submitted per T5 round (limit 4).
        budget_s: target measured time per benchmark; rounds = budget / one round.
        min_rounds: at least this many rounds (the median needs a few).
        max_rounds: at most this many rounds.
        http_rounds: rounds of T3 against the loopback server.
        memory_rounds: tracemalloc measurements per row.
        rss_rounds: subprocesses per row for peak RSS.
        http_delay: the server's latency per item request, seconds.
    """

    name: str
    spawn_ns: tuple[int, ...]
    cancel_n: int
    memory_n: int
    rss_n: int
    t1_calls: int
    t3_items: int
    t5_jobs: int
    budget_s: float
    min_rounds: int
    max_rounds: int
    http_rounds: int
    memory_rounds: int
    rss_rounds: int
    http_delay: float

    def rounds_for(self, seconds_per_round: float) -> int:
        """How many rounds fit the budget, clamped to ``[min_rounds, max_rounds]``."""
        fit = int(self.budget_s / max(seconds_per_round, 1e-9))
        return max(self.min_rounds, min(self.max_rounds, fit))


QUICK = Profile(
    name="quick",
    spawn_ns=(100, 1_000, 10_000),
    cancel_n=2_000,
    memory_n=2_000,
    rss_n=20_000,
    t1_calls=100,
    t3_items=1_000,
    t5_jobs=1_000,
    budget_s=0.1,
    min_rounds=3,
    max_rounds=100,
    http_rounds=2,
    memory_rounds=2,
    rss_rounds=1,
    http_delay=0.001,
)

FULL = Profile(
    name="full",
    spawn_ns=(100, 1_000, 10_000, 100_000),
    cancel_n=10_000,
    memory_n=10_000,
    rss_n=100_000,
    t1_calls=100,
    t3_items=1_000,
    t5_jobs=1_000,
    budget_s=1.0,
    min_rounds=7,
    max_rounds=2_000,
    http_rounds=7,
    memory_rounds=5,
    rss_rounds=3,
    http_delay=0.001,
)

SMOKE = Profile(
    name="smoke",
    spawn_ns=(10, 50),
    cancel_n=20,
    memory_n=20,
    rss_n=200,
    t1_calls=2,
    t3_items=40,
    t5_jobs=20,
    budget_s=0.0,
    min_rounds=1,
    max_rounds=1,
    http_rounds=1,
    memory_rounds=1,
    rss_rounds=1,
    http_delay=0.0,
)
"""For tests/bench only: every benchmark runs once on tiny sizes, so the code cannot rot.
Its numbers mean nothing."""

PROFILES = {p.name: p for p in (QUICK, FULL, SMOKE)}
