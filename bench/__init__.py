"""Benchmarks (`make bench`): numbers for the README, not timed tests."""
