"""Benchmarks that print their figures against the goals, and the large-data generator (bench.datagen).

Each benchmark is a module with a `BENCHMARK` title and a `main(argv) -> int`; `python -m bench.run` runs them all.
"""
