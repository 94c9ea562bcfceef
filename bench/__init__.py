"""Benchmarks for StudyBot's hot paths, run with `make bench` (not part of the test suite)."""
