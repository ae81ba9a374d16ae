"""terraplan.data."""
