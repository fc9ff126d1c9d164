"""How complex AWS finds the wildcards on one field, and the limit past which it refuses the pattern.

AWS matches each field with a byte-level state machine and refuses a rule ("Rule is too complex -
try using fewer wildcard characters or fewer repeating character sequences after a wildcard
character") when some input could keep too many wildcard paths alive at once. We build the same
kind of machine for a field's wildcard strings (``wildcard`` and ``anything-but`` ``wildcard``):

- each string is matched with its JSON quotes, byte by byte (UTF-8);
- text before the first ``*`` is shared between strings (a trie), as is that first ``*``;
- after a ``*`` every string has its own states, and a ``*`` can match nothing, so the state
  before it also moves on the next literal.

The complexity of a set of live states is, per state, the number of strings that can still
match through it, plus the same for each ``*`` state one step away that is not live yet. The
field's complexity is the maximum over every set of live states that some input reaches. AWS
refuses more than 10. That limit agrees with the recorded ``*:*:*:*:*:event-bus/*`` rejection
(11) and with reported cases: four ``*/datasync/*.<ext>`` strings on one field are refused
(16), while ``*.bif`` ``*.tif`` ``*.tiff`` ``*.svs`` (8) are accepted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

WILDCARD_COMPLEXITY_LIMIT = 10
STAR = -1  # token for '*'
OTHER_BYTE = -2  # stands for every byte no string mentions


def wildcard_tokens(text: str) -> list[int]:
    """The bytes a wildcard string matches, quotes included; '*' becomes STAR, escapes are resolved."""
    raw = text.encode("utf-8")
    tokens = [ord('"')]
    index = 0
    while index < len(raw):
        byte = raw[index]
        if byte == ord("\\") and index + 1 < len(raw):
            tokens.append(raw[index + 1])
            index += 2
            continue
        tokens.append(STAR if byte == ord("*") else byte)
        index += 1
    tokens.append(ord('"'))
    return tokens


@dataclass
class _State:
    on_byte: dict[int, list[int]] = field(default_factory=dict)  # byte -> next states
    on_any: list[int] = field(default_factory=list)  # '*' states reached on any byte
    shared_byte: dict[int, int] = field(default_factory=dict)  # trie edges before the first '*'
    shared_star: int | None = None
    strings: set[int] = field(default_factory=set)  # strings that can match through this state


class _Machine:
    def __init__(self) -> None:
        self.states = [_State()]

    def _new(self) -> int:
        self.states.append(_State())
        return len(self.states) - 1

    def add(self, string_id: int, tokens: list[int]) -> None:
        current, previous, shared = 0, None, True
        for position, token in enumerate(tokens):
            state = self.states[current]
            if token == STAR:
                target = state.shared_star if shared else None
                if target is None:
                    target = self._new()
                    state.on_any.append(target)
                    self.states[target].on_any.append(target)
                    if shared:
                        state.shared_star = target
                shared = False
            else:
                target = state.shared_byte.get(token) if shared else None
                if target is None:
                    target = self._new()
                    state.on_byte.setdefault(token, []).append(target)
                    if shared:
                        state.shared_byte[token] = target
                    if previous is not None and tokens[position - 1] == STAR:
                        self.states[previous].on_byte.setdefault(token, []).append(target)
            self.states[target].strings.add(string_id)
            previous, current = current, target

    def complexity(self, cap: int) -> int:
        """The highest live-state weight any input reaches (stops early once above ``cap``)."""
        alphabet = {byte for state in self.states for byte in state.on_byte} | {OTHER_BYTE}
        seen: set[frozenset[int]] = set()
        pending = [frozenset({0})]
        highest = 0
        while pending:
            live = pending.pop()
            for byte in alphabet:
                reached: set[int] = set()
                for index in live:
                    state = self.states[index]
                    reached.update(state.on_any)
                    reached.update(state.on_byte.get(byte, ()))
                if not reached:
                    continue
                weight = sum(len(self.states[index].strings) for index in reached)
                weight += sum(len(self.states[star].strings) for index in reached
                              for star in self.states[index].on_any if star not in reached)
                highest = max(highest, weight)
                if highest > cap:
                    return highest
                key = frozenset(reached)
                if key not in seen:
                    seen.add(key)
                    pending.append(key)
        return highest


def wildcard_complexity(texts: Iterable[str], cap: int = WILDCARD_COMPLEXITY_LIMIT) -> int:
    """Complexity of the wildcard strings on one field (exact up to ``cap``, then any value above it)."""
    machine = _Machine()
    for string_id, text in enumerate(dict.fromkeys(texts)):
        machine.add(string_id, wildcard_tokens(text))
    return machine.complexity(cap)
