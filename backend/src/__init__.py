"""Source root of the backend package."""
