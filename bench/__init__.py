"""Benchmarks: each script writes its results to docs/benchmarks.md."""
