"""Estimators: one small, pure, typed function per quantity, units in the names (SPEC §1.3).

Inputs are plain numbers (taken from the catalog, the client's params or another estimator);
nothing here reads files or holds a constant of the method: every figure comes in as an argument.
"""
