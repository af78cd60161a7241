"""Estimators: one small, pure, typed function per quantity, units in the names (docs/method.md).

Inputs are plain numbers (taken from the catalog, the client's params or another estimator);
nothing here reads files or holds a constant of the method: every figure comes in as an argument.
"""
