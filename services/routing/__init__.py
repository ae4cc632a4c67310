"""routing: resolves the care unit for each submitted message (faust-streaming)."""
