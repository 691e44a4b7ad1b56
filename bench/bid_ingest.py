"""Bid ingest benchmark: 200 bidders upload a 1 MiB sealed bid each, all at once, to `sunbid serve`.

No arguments. Starts an embedded PostgreSQL in a temporary directory, creates the bidders (certified keys kept in
memory here), seals every bid and signs every statement before timing, then alternates rounds against a minimal
ASGI app on the same uvicorn (stream to a file, SHA-256, fsync, answer) and against the platform, with the same raw
HTTP/1.1 client (one connection per bidder, in this process). After the rounds the platform is killed (SIGKILL) and
every accepted upload is checked: a committed bid, the same receipt, a receipt that verifies, a blob that matches.
Prints name=value lines, the ratio last. BENCH_BIDDERS and BENCH_ROUNDS (at most 2: one per lot) override.
"""

from __future__ import annotations

import os
import sys
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
ROUNDS = min(2, int(os.environ.get("BENCH_ROUNDS", "2")))
MIB = 1 << 20
PAYLOAD = MIB - 8 * 1024
"""Plaintext per bid; with the tar and age overhead the sealed upload is just under 1 MiB."""


def run_round(server: Server, bids: list[PreparedBid]) -> tuple[list[Outcome], float]:
    """One round of concurrent uploads, after the server has gone quiet."""
    settle(server.pid)
    outcomes, seconds = upload_concurrently(server.port, bids)
    statuses: dict[str, int] = {}
    for outcome in outcomes:
        key = str(outcome.status) if outcome.status is not None else "no-answer"
        statuses[key] = statuses.get(key, 0) + 1
    mb_s = sum(b.size for b, o in zip(bids, outcomes, strict=True) if o.status == 201) / MIB / seconds
    log(f"{server.name}: {seconds:.2f}s {mb_s:.1f} MB/s {statuses}")
    return outcomes, seconds


def main() -> None:
    """Prepare, alternate baseline and platform rounds, check durability, print."""
    with embedded_platform("sunbid-bench-ingest-") as platform:
        populate(platform, BIDDERS)
        log("sealing bids")
        rounds = [prepare_bids(platform, lot, PAYLOAD) for lot in range(1, ROUNDS + 1)]
        baseline = baseline_server(platform.baseline_dir, free_port()).start()
        server = platform_server(platform.url, platform.data_dir, free_port()).start()
        results: list[tuple[list[Outcome], float]] = []
        baseline_rates: list[float] = []
        try:
            for bids in rounds:
                outcomes, seconds = run_round(baseline, bids)
                baseline_rates.append(
                    sum(b.size for b, o in zip(bids, outcomes, strict=True) if o.status == 201) / MIB / seconds
                )
                # the baseline's files stay until the end: deleting 200 files just before the platform's round
                # makes the file system's inode allocator skip the recently freed inodes (measured with perf)
                results.append(run_round(server, bids))
        finally:
            server.stop(kill=True)
            baseline.stop()
        report(platform, rounds, results, baseline_rates)


def report(
    platform: BenchPlatform,
    rounds: list[list[PreparedBid]],
    results: list[tuple[list[Outcome], float]],
    baseline_rates: list[float],
) -> None:
    """Check every accepted upload against the database and the blob store, and print the numbers."""
    accepted = [
        (b, o.body)
        for bids, (outs, _) in zip(rounds, results, strict=True)
        for b, o in zip(bids, outs, strict=True)
        if o.status == 201
    ]
    refused = sum(1 for outs, _ in results for o in outs if o.status is not None and o.status != 201)
    unanswered = sum(1 for outs, _ in results for o in outs if o.status is None)
    log("checking every accepted upload (database row, receipt, blob)")
    lost = count_lost(platform, accepted)
    latencies = [o.seconds * 1000 for outs, _ in results for o in outs if o.status == 201]
    rates = [
        sum(b.size for b, o in zip(bids, outs, strict=True) if o.status == 201) / MIB / seconds
        for bids, (outs, seconds) in zip(rounds, results, strict=True)
    ]
    best, base = max(rates), max(baseline_rates)
    print(f"bidders={BIDDERS}")
    print(f"rounds={len(rounds)}")
    print(f"upload_bytes={rounds[0][0].size}")
    print(f"accepted={len(accepted)}")
    print(f"refused={refused}")
    print(f"unanswered={unanswered}")
    print(f"lost={lost}")
    print(f"p50_ms={percentile(latencies, 0.5):.0f}" if latencies else "p50_ms=nan")
    print(f"p99_ms={percentile(latencies, 0.99):.0f}" if latencies else "p99_ms=nan")
    print(f"mb_s={best:.1f}")
    print(f"baseline_mb_s={base:.1f}")
    print(f"ingest_ratio={best / base:.3f}")


if __name__ == "__main__":
    main()
