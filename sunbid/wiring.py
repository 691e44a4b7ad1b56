"""Where higher layers subscribe to lower layers' journal events and register time-driven steps.

Lower layers never import higher ones; they record journal events, and this module (the assembly) connects them.
"""

from __future__ import annotations

_wired = False


def wire() -> None:
    """Register every journal subscription and chronograph handler, once per process."""
    global _wired  # noqa: PLW0603 (a process-wide, idempotent registration flag)
    if _wired:
        return
    _wired = True
