"""Rule 51 (条例 Art 40; 87号令 Art 37) pattern detection over opened bids; pure functions, no database."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

RULE = 51
MIN_PATTERN_BIDS = 3


@dataclass(frozen=True)
class OpenedBid:
    """What the opening reveals about one bid (the `bid.opened` event contract, docs/supervision.md)."""

    bidder: str
    lot: int
    price: Decimal | None
    files: tuple[tuple[str, str], ...] = ()
    ips: frozenset[str] = frozenset()
    client_fingerprint: str | None = None
    user_agent: str | None = None
    guarantee_applicant: str | None = None


@dataclass(frozen=True)
class Signal:
    """A detected pattern: its kind, a stable fingerprint, the bidders involved and the evidence."""

    kind: str
    fingerprint: str
    bidders: tuple[str, ...]
    evidence: dict[str, Any] = field(default_factory=dict)
    lot: int | None = None


def parse_price(value: Any) -> Decimal | None:
    """A price from the event, or None when absent or unreadable."""
    try:
        return None if value is None else Decimal(str(value))
    except InvalidOperation:
        return None


def opened_bid(payload: dict[str, Any], extra_ips: Iterable[str] = ()) -> OpenedBid:
    """An OpenedBid from a `bid.opened` payload, plus IPs recorded at submission."""
    client = payload.get("client") or {}
    files = tuple((str(f.get("name", "")), str(f.get("sha256", "")).lower()) for f in payload.get("files") or [])
    ips = {str(client["ip"])} if client.get("ip") else set()
    return OpenedBid(
        bidder=str(payload["bidder"]),
        lot=int(payload.get("lot") or 1),
        price=parse_price(payload.get("price")),
        files=files,
        ips=frozenset(ips | set(extra_ips)),
        client_fingerprint=client.get("fingerprint"),
        user_agent=client.get("user_agent"),
        guarantee_applicant=payload.get("guarantee_applicant"),
    )


def _shared(
    bids: Sequence[OpenedBid], kind: str, keys: Callable[[OpenedBid], Iterable[str]], what: str
) -> list[Signal]:
    groups: dict[str, set[str]] = defaultdict(set)
    for bid in bids:
        for key in keys(bid):
            if key:
                groups[key].add(bid.bidder)
    return [
        Signal(kind, f"{kind}:{key}", tuple(sorted(bidders)), {what: key, "bidders": sorted(bidders)})
        for key, bidders in sorted(groups.items())
        if len(bidders) > 1
    ]


def _same_files(bids: Sequence[OpenedBid]) -> list[Signal]:
    signals = _shared(bids, "same_file", lambda b: {sha for _, sha in b.files}, "sha256")
    for signal in signals:
        sha = signal.evidence["sha256"]
        signal.evidence["files"] = [{"bidder": b.bidder, "name": n} for b in bids for n, s in b.files if s == sha]
    return signals


def _prices(bids: Sequence[OpenedBid]) -> list[Signal]:
    signals: list[Signal] = []
    by_lot: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for bid in bids:
        if bid.price is not None:
            by_lot[bid.lot][bid.bidder] = bid.price
    for lot, prices in sorted(by_lot.items()):
        same: dict[Decimal, list[str]] = defaultdict(list)
        for bidder, price in prices.items():
            same[price.normalize()].append(bidder)
        for price, bidders in sorted(same.items()):
            if len(bidders) > 1:
                ev = {"price": str(price), "bidders": sorted(bidders)}
                signals.append(
                    Signal("identical_price", f"identical_price:{lot}:{price}", tuple(sorted(bidders)), ev, lot)
                )
        ordered = sorted(prices.items(), key=lambda item: item[1])
        if len(ordered) >= MIN_PATTERN_BIDS:
            steps = {b[1] - a[1] for a, b in pairwise(ordered)}
            if len(steps) == 1 and next(iter(steps)) != 0:
                values = [str(p) for _, p in ordered]
                ev = {"prices": values, "step": str(next(iter(steps))), "bidders": [b for b, _ in ordered]}
                fingerprint = f"arithmetic_prices:{lot}:" + ",".join(values)
                signals.append(Signal("arithmetic_prices", fingerprint[:200], tuple(sorted(prices)), ev, lot))
    return signals


def detect(bids: Sequence[OpenedBid]) -> list[Signal]:
    """Every rule-51 pattern among the opened bids of one tender."""
    return [
        *_same_files(bids),
        *_shared(bids, "same_ip", lambda b: b.ips, "ip"),
        *_shared(bids, "same_client", lambda b: {b.client_fingerprint or ""}, "client_fingerprint"),
        *_shared(bids, "same_guarantee_applicant", lambda b: {b.guarantee_applicant or ""}, "guarantee_applicant"),
        *_prices(bids),
    ]
