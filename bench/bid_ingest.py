"""Bid ingest benchmark: 200 bidders upload a 1 MiB sealed bid each, all at once, to `sunbid serve`.

No arguments. Starts an embedded PostgreSQL in a temporary directory, creates the bidders (certified keys kept in
memory here), seals every bid and signs every statement before timing, then runs pairs of rounds, one against a
minimal ASGI app on the same uvicorn (stream to a file, SHA-256, fsync, answer) and one against the platform, with
the same raw HTTP/1.1 client (one connection per bidder, in this process). The first pair warms both servers up and
is not counted; the order inside a pair alternates. Each later round sends every bidder's next version (lots 1 and
2 in turn), so the platform supersedes as bidders re-submitting do. After the rounds the platform is killed
(SIGKILL) and every accepted upload is checked: a committed bid, the same receipt, a receipt that verifies, a blob
that matches. Prints name=value lines, the ratio last: the median over the measured pairs of platform MB/s over
baseline MB/s (the two rounds of a pair run back to back, so they share the machine's state). BENCH_BIDDERS and
BENCH_PAIRS (measured pairs, default 6) override.
"""

from __future__ import annotations

import os
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bids import (
    Outcome,
    PreparedBid,
    count_lost,
    percentile,
    prepare_bids,
    upload_concurrently,
)
from _platform import (
    BenchPlatform,
    embedded_platform,
    populate,
)
from _support import (
    Server,
    baseline_server,
    free_port,
    log,
    platform_server,
    settle,
)

BIDDERS = int(os.environ.get("BENCH_BIDDERS", "200"))
PAIRS = max(1, int(os.environ.get("BENCH_PAIRS", "6")))
MIB = 1 << 20
PAYLOAD = MIB - 8 * 1024
"""Plaintext per bid; with the tar and age overhead the sealed upload is just under 1 MiB."""


@dataclass(frozen=True)
class Round:
    """One round as the client saw it."""

    bids: list[PreparedBid]
    outcomes: list[Outcome]
    seconds: float

    @property
    def mb_s(self) -> float:
        """Accepted megabytes per second, first byte sent to last answer read."""
        accepted = sum(b.size for b, o in zip(self.bids, self.outcomes, strict=True) if o.status == 201)
        return accepted / MIB / self.seconds


@dataclass(frozen=True)
class Pair:
    """The same uploads sent to the baseline and to the platform, back to back."""

    baseline: Round
    platform: Round

    @property
    def ratio(self) -> float:
        """Platform MB/s over baseline MB/s."""
        return self.platform.mb_s / self.baseline.mb_s


def run_round(server: Server, bids: list[PreparedBid]) -> Round:
    """One round of concurrent uploads, after the server has gone quiet."""
    settle(server.pid)
    outcomes, seconds = upload_concurrently(server.port, bids)
    statuses: dict[str, int] = {}
    for outcome in outcomes:
        key = str(outcome.status) if outcome.status is not None else "no-answer"
        statuses[key] = statuses.get(key, 0) + 1
    measured = Round(bids, outcomes, seconds)
    log(f"{server.name}: {seconds:.2f}s {measured.mb_s:.1f} MB/s {statuses}")
    return measured


def main() -> None:
    """Prepare, run the warm-up pair and the measured pairs, check durability, print."""
    with embedded_platform("sunbid-bench-ingest-") as platform:
        populate(platform, BIDDERS)
        log("sealing bids")
        rounds = [prepare_bids(platform, k % 2 + 1, PAYLOAD, version=k // 2 + 1) for k in range(PAIRS + 1)]
        baseline = baseline_server(platform.baseline_dir, free_port()).start()
        server = platform_server(platform.url, platform.data_dir, free_port()).start()
        pairs: list[Pair] = []
        try:
            for index, bids in enumerate(rounds):
                # the baseline's files stay until the end: deleting 200 files just before the platform's round
                # makes the file system's inode allocator skip the recently freed inodes (measured with perf)
                order = (baseline, server) if index % 2 == 0 else (server, baseline)
                measured = {each.name: run_round(each, bids) for each in order}
                pairs.append(Pair(measured["baseline"], measured["platform"]))
                log(f"pair {index}{' (warm-up)' if index == 0 else ''}: ratio {pairs[-1].ratio:.3f}")
        finally:
            server.stop(kill=True)
            baseline.stop()
        report(platform, pairs)


def report(platform: BenchPlatform, pairs: list[Pair]) -> None:
    """Check every accepted upload (warm-up included) against the database and the blob store, and print."""
    platform_rounds = [pair.platform for pair in pairs]
    accepted = [
        (b, o.body) for r in platform_rounds for b, o in zip(r.bids, r.outcomes, strict=True) if o.status == 201
    ]
    refused = sum(1 for r in platform_rounds for o in r.outcomes if o.status is not None and o.status != 201)
    unanswered = sum(1 for r in platform_rounds for o in r.outcomes if o.status is None)
    log("checking every accepted upload (database row, receipt, blob)")
    lost = count_lost(platform, accepted)
    measured = pairs[1:]
    latencies = [o.seconds * 1000 for p in measured for o in p.platform.outcomes if o.status == 201]
    ratios = [p.ratio for p in measured]
    best = max(p.platform.mb_s for p in measured) / max(p.baseline.mb_s for p in measured)
    print(f"bidders={BIDDERS}")
    print(f"pairs={len(measured)}")
    print(f"upload_bytes={pairs[0].platform.bids[0].size}")
    print(f"accepted={len(accepted)}")
    print(f"refused={refused}")
    print(f"unanswered={unanswered}")
    print(f"lost={lost}")
    print(f"p50_ms={percentile(latencies, 0.5):.0f}" if latencies else "p50_ms=nan")
    print(f"p99_ms={percentile(latencies, 0.99):.0f}" if latencies else "p99_ms=nan")
    print(f"mb_s={statistics.median(p.platform.mb_s for p in measured):.1f}")
    print(f"baseline_mb_s={statistics.median(p.baseline.mb_s for p in measured):.1f}")
    print(f"pair_ratios={','.join(f'{r:.3f}' for r in ratios)}")
    print(f"best_round_ratio={best:.3f}")
    print(f"ingest_ratio={statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
