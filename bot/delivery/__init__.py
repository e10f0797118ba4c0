"""Delivering planned posts: the engine (workers, reclaimer, promoter) and how one
attempt is decided."""
