"""Application services: orchestrate io, storage and planning for the edges (CLI and API)."""
