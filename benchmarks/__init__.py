"""Benchmarks: each measures the SDK and a baseline in the same run and prints the ratio."""
