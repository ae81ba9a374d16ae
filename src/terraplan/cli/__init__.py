"""terraplan.cli."""
