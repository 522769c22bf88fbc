"""Comparisons built from joinery's results: the benchmark report (``bench_report``)."""
