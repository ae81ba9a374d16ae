"""terraplan.storage."""
