"""Reading events from the files people write: the authoring format (JSON Lines)."""
