"""Case use cases: filing, handling, reading."""
