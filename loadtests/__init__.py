"""Benchmarks: run against real servers, report medians, spreads and ratios to a baseline
measured in the same run (this machine is shared and noisy). Not part of the test suite."""
