"""Help texts built from the protocol lists (no protocol name is written twice)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["pattern_ids", "simulated_protocols", "one_of"]


def pattern_ids() -> list[str]:
    """Ids of the target patterns: the built-in protocols, then the pattern library's others.

    The library is :func:`emgcontrol.patterns.list_patterns` (the directories of
    ``$EMGCONTROL_PATTERNS``, then the built-ins); if it cannot be listed, the
    built-in protocols alone.
    """
    from ..errors import EmgcontrolError
    from ..patterns import BUILTIN_PROTOCOLS, list_patterns

    names = list(BUILTIN_PROTOCOLS)
    try:
        names += [n for n in list_patterns() if n not in names]
    except (EmgcontrolError, OSError):  # pragma: no cover - an unreadable pattern folder
        pass
    return names


def simulated_protocols() -> tuple[list[str], str]:
    """Protocols of the simulator and the simulated board's default one."""
    from ..acquire import SimulatedBoard
    from ..simulate import PROTOCOLS

    return list(PROTOCOLS), str(SimulatedBoard.protocol)


def one_of(names: Sequence[str], default: str | None = None, last: str = "or") -> str:
    """``"a (default), b, c or d"``: names joined for a help text."""
    items = [f"{n} (default)" if n == default else n for n in names]
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"
