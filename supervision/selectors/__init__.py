"""Reads of supervision, one module per capability; the scope is applied through `.restrict` in each."""
