"""Reports and the site, generated from what a run of the suite and the benchmarks wrote."""
