"""terraplan.engine: algorithms on numpy/scipy arrays (no domain objects cross in).

Sub-packages are imported explicitly (``terraplan.engine.design``); nothing heavy happens
at import time.
"""
