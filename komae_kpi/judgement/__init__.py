"""Judging progress: indicator status, item and department progress, one consistent read of the store."""
