"""Large upload benchmark: one 2 GiB sealed bid streamed to `sunbid serve`, its speed and the server's memory growth.

No arguments. Starts an embedded PostgreSQL in a temporary directory, creates one certified bidder, seals a 2 GiB
bid package streaming to a temp file (pyrage through signing.sealed_bid.seal_package; never in memory), then sends it
with sendfile(2) to a minimal ASGI app on the same uvicorn (stream to a file, SHA-256, fsync, answer) and to the
platform, sampling the server's VmRSS while it runs. The accepted bid is checked (row, receipt, blob) after the
platform is killed. Prints name=value lines, the ratio last. BENCH_LARGE_MIB overrides the size.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bids import (
    Outcome,
    PreparedBid,
    count_lost,
    request_head,
    seal_bid,
    upload_file,
)
from _platform import (
    BenchPlatform,
    embedded_platform,
    populate,
)
from _support import (
    RssSampler,
    Server,
    baseline_server,
    free_port,
    log,
    platform_server,
    settle,
    vm_kib,
)

MIB = 1 << 20
SIZE_MIB = int(os.environ.get("BENCH_LARGE_MIB", "2048"))


def sealed_file(platform: BenchPlatform) -> PreparedBid:
    """The 2 GiB bid, sealed streaming to a file in the bench's temp dir, with its request head."""
    bidder = platform.bidders[0]
    path = platform.root / "large.age"
    log(f"sealing {SIZE_MIB} MiB to {path}")
    with path.open("wb") as out:
        sha256, size, escrow = seal_bid(platform, bidder, 1, SIZE_MIB * MIB - 16 * 1024, out, os.urandom(MIB))
    head = request_head(platform, bidder, 1, sha256, size, escrow)
    return PreparedBid(head, None, path, sha256, size, bidder.username)


def measured_upload(server: Server, bid: PreparedBid) -> tuple[Outcome, float]:
    """(outcome, RSS growth in MiB): VmRSS just before the upload, the highest VmRSS polled while it runs."""
    settle(server.pid)
    before = vm_kib(server.pid, "VmRSS")
    with RssSampler(server.pid) as sampler:
        outcome = upload_file(server.port, bid)
    growth = (sampler.peak - before) / 1024
    rate = bid.size / MIB / outcome.seconds
    log(f"{server.name}: {outcome.status} {outcome.seconds:.2f}s {rate:.1f} MB/s rss +{growth:.1f} MiB {outcome.error}")
    return outcome, growth


def main() -> None:
    """Prepare, upload to the baseline then the platform, check, print."""
    with embedded_platform("sunbid-bench-large-") as platform:
        populate(platform, 1)
        bid = sealed_file(platform)
        free = shutil.disk_usage(platform.root).free
        if free < 3 * bid.size:
            raise RuntimeError(f"{free >> 20} MiB free under {platform.root}; the benchmark needs {3 * bid.size >> 20}")
        baseline = baseline_server(platform.baseline_dir, free_port(), workers=1).start()
        try:
            base, base_growth = measured_upload(baseline, bid)
        finally:
            baseline.stop()
            shutil.rmtree(platform.baseline_dir, ignore_errors=True)
        server = platform_server(platform.url, platform.data_dir, free_port(), workers=1).start()
        try:
            outcome, growth = measured_upload(server, bid)
        finally:
            server.stop(kill=True)
        if bid.body_path is not None:
            bid.body_path.unlink()
        accepted = [(bid, outcome.body)] if outcome.status == 201 else []
        lost = count_lost(platform, accepted)
        if base.status != 201:
            raise RuntimeError(f"the baseline refused the upload: {base.status} {base.error}")
        rate, base_rate = bid.size / MIB / outcome.seconds, bid.size / MIB / base.seconds
        print(f"upload_bytes={bid.size}")
        print(f"status={outcome.status}")
        print(f"lost={lost}")
        print(f"seconds={outcome.seconds:.2f}")
        print(f"mb_s={rate:.1f}")
        print(f"rss_growth_mib={growth:.1f}")
        print(f"baseline_mb_s={base_rate:.1f}")
        print(f"baseline_rss_growth_mib={base_growth:.1f}")
        print(f"large_ratio={rate / base_rate:.3f}")


if __name__ == "__main__":
    main()
