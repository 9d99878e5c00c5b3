"""Committed scripts that produce every multi-seed or sweep claim quoted outside a notebook run."""
