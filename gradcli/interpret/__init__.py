"""Interpretations of a program's bindings: Values (the engine), NumPy arrays (sweeps), formulas
(symbolic), and what is computed from them (higher derivatives, checks, the Jacobian, explanations)."""
