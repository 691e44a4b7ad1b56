"""Statutory clocks: every running period has a due time; yellow at 80 %, red when overdue."""
