"""Writes of supervision, one module per capability. Every write checks scope, runs in one transaction and leaves
an audit row; a refused write changes nothing."""
