"""Electronic bid guarantees (电子保函): verification, release and claim."""
