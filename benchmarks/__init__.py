"""joinery's benchmarks: every model on every backend, against native groups and the floor.

Run them with ``pytest benchmarks`` (see the README: the quick and the full profile); they
are not part of the test command. The report generator is ``comparisons.bench_report``.
"""
