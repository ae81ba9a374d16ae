"""terraplan.planning."""
