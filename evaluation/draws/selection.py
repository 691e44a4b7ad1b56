"""The draw as a pure function of published inputs, so anyone can replay it offline (rule 36).

The seed is the root hash of the first ledger checkpoint that covers the draw's commitment; nobody knows it when the
eligible list is fixed, and nobody can change the list afterwards. Each expert is ranked by
HMAC-SHA256(seed, draw_id | specialty | expert_id); the lowest ranks are drawn, the next ones form the reserve list.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ALGORITHM = (
    "sunbid-draw-v1: rank = HMAC-SHA256(seed, draw_id|specialty|expert_id), ascending, per specialty in code order"
)


@dataclass(frozen=True)
class Candidate:
    """An eligible expert as the draw sees it: an id and the specialties it may be drawn for."""

    id: str
    specialties: tuple[str, ...]


@dataclass(frozen=True)
class Pick:
    """One drawn (or reserve) seat: who, for which specialty, in which order."""

    expert: str
    specialty: str
    position: int


@dataclass(frozen=True)
class Outcome:
    """The panel and the reserve list a draw yields."""

    members: tuple[Pick, ...]
    reserves: tuple[Pick, ...]


def eligible_digest(candidates: Sequence[Candidate]) -> str:
    """SHA-256 of the canonical eligible list: what the commitment binds before the seed exists."""
    body = [{"id": c.id, "specialties": sorted(c.specialties)} for c in sorted(candidates, key=lambda c: c.id)]
    return hashlib.sha256(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def rank_key(seed: bytes, draw_id: str, specialty: str, expert_id: str) -> bytes:
    """The expert's pseudo-random rank for one specialty in one draw."""
    return hmac.new(seed, f"{draw_id}|{specialty}|{expert_id}".encode(), hashlib.sha256).digest()


def draw(
    seed: bytes, draw_id: str, candidates: Sequence[Candidate], requested: Mapping[str, int], reserves: int
) -> Outcome:
    """Deterministic selection; an expert holds at most one seat or reserve place across specialties."""
    taken: set[str] = set()
    members: list[Pick] = []
    reserve_picks: list[Pick] = []
    for specialty in sorted(requested):
        pool = sorted(
            (c.id for c in candidates if specialty in c.specialties and c.id not in taken),
            key=lambda expert_id: rank_key(seed, draw_id, specialty, expert_id),
        )
        count = requested[specialty]
        if len(pool) < count:
            raise ValueError(f"specialty {specialty}: {len(pool)} eligible experts, {count} requested")
        for position, expert_id in enumerate(pool[: count + reserves]):
            taken.add(expert_id)
            pick = Pick(expert_id, specialty, position)
            (members if position < count else reserve_picks).append(pick)
    return Outcome(tuple(members), tuple(reserve_picks))


def replay(record: Mapping[str, Any]) -> Outcome:
    """Recompute a published draw record's outcome from its own inputs (the seed is its checkpoint root)."""
    seed_hex = record["seed"]
    if record.get("checkpoint", {}).get("root") not in (None, seed_hex):
        raise ValueError("the seed is not the root hash of the named checkpoint")
    candidates = [Candidate(c["id"], tuple(c["specialties"])) for c in record["eligible"]]
    if eligible_digest(candidates) != record["eligible_sha256"]:
        raise ValueError("the eligible list does not match the committed digest")
    return draw(bytes.fromhex(seed_hex), record["draw_id"], candidates, record["requested"], int(record["reserves"]))


def outcome_json(outcome: Outcome) -> dict[str, list[dict[str, Any]]]:
    """The outcome as the draw record publishes it."""
    return {
        "members": [{"expert": p.expert, "specialty": p.specialty, "position": p.position} for p in outcome.members],
        "reserves": [{"expert": p.expert, "specialty": p.specialty, "position": p.position} for p in outcome.reserves],
    }
