"""bidding package."""
