"""Risk signals of deemed collusion (rule 51), computed from the opening's events after the opening."""
