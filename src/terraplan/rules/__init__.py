"""Ownership rules: rule model, parser, evaluator, coverage audit, SQL compiler."""
