"""Named laws (placeholder; being written)."""
