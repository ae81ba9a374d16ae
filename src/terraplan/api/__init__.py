"""terraplan.api."""
