"""Shared test helpers: central finite differences, an independent reference."""

from __future__ import annotations

from typing import Callable


def central_difference(f: Callable[[float], float], x: float, rel_step: float = 1e-6) -> float:
    """df/dx by central differences, the step scaled to x's magnitude."""
    h = rel_step * max(1.0, abs(x))
    return (f(x + h) - f(x - h)) / (2 * h)
