"""sunbid package."""
