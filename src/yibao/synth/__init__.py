"""Synthetic populations and claims, calibrated to published national statistics."""

from yibao.synth.county import SyntheticYear, simulate_chunks, simulate_county

__all__ = ["SyntheticYear", "simulate_chunks", "simulate_county"]
