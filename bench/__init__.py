"""Benchmarks: `python -m bench` runs every one of them and prints their figures (see bench/README.md)."""
