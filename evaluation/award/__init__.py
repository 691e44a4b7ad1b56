"""Award."""
