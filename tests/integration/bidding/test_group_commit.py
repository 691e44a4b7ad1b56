"""Group commit: bids queued together commit in one transaction, each with its own verified receipt, and a bid that
fails its checks at commit time is refused alone; through HTTP, concurrent uploads all end committed or refused."""

from __future__ import annotations

import asyncio
import hashlib
import uuid

import httpx
import pytest
from cryptography import x509
from litestar import Litestar

from bidding.bids import committer as committer_module
from bidding.bids.committer import BidCommitter
from bidding.bids.envelope import decode_envelope
from bidding.bids.errors import BidSubmissionClosed
from bidding.bids.sql import NewBid, SubmissionKey
from core.db import driver_connection
from core.errors import Conflict
from core.identity.principal import Principal
from core.identity.services import authenticate_on_driver
from core.settings import Settings
from signing.ca import public_key_sha256
from signing.receipts import issue_receipt, verify_receipt_async
from tests.support.bids import (
    Bidder,
    certified_bidder,
    demo_tender,
    register_custodians,
    seal,
    submission_headers,
    submit,
)


async def _principal(app: Litestar, bidder: Bidder) -> Principal:
    async with driver_connection(app.state.driver_pool) as connection:
        return await authenticate_on_driver(connection, bidder.headers["Authorization"].split(" ", 1)[1])


async def test_a_queued_batch_commits_in_one_transaction_and_refuses_only_the_stale_version(
    app: Litestar, client: httpx.AsyncClient, seeded: None, settings: Settings
) -> None:
    await register_custodians(client)
    tender = (await demo_tender(client))["id"]
    bidders = [await certified_bidder(client, f"bidder{n}") for n in (1, 2, 3, 4)]
    queued = []
    for bidder in bidders:
        for lot in (1, 2):
            headers = submission_headers(bidder, tender, lot, await seal(client, bidder, tender, lot), 1)
            queued.append((bidder, headers))
    duplicate = submission_headers(bidders[0], tender, 1, await seal(client, bidders[0], tender, 1), 1)
    queued.append((bidders[0], duplicate))
    platform = app.state.bid_platform
    committer: BidCommitter = app.state.bid_committer
    calls = [
        committer.commit(
            await _principal(app, bidder),
            decode_envelope(platform, headers["sunbid-statement"], headers["sunbid-escrow"]),
        )
        for bidder, headers in queued
    ]
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    committed = [o for o in outcomes[:-1] if not isinstance(o, BaseException)]
    assert len(committed) == 8, outcomes
    assert isinstance(outcomes[-1], Conflict), outcomes[-1]
    roots = [x509.load_pem_x509_certificate((settings.platform_key_dir / "ca" / "ca.pem").read_bytes())]
    for bid in committed:
        verified = await verify_receipt_async(bid.receipt.encode(), roots)
        assert verified.payload["bid"] == str(bid.id)
    async with driver_connection(app.state.driver_pool) as connection:
        transactions = await connection.fetchval(
            "select count(distinct xmin::text) from bids where id = any($1::uuid[])", [b.id for b in committed]
        )
        events = await connection.fetchval(
            "select count(*) from journal_events where event_type = 'bid.submitted' and subject_id = any($1::uuid[])",
            [b.id for b in committed],
        )
    assert transactions == 1
    assert events == 8


@pytest.mark.parametrize("rounds", [2])
async def test_concurrent_uploads_each_end_committed_or_refused(
    client: httpx.AsyncClient, seeded: None, rounds: int
) -> None:
    await register_custodians(client)
    tender = (await demo_tender(client))["id"]
    bidders = [await certified_bidder(client, f"bidder{n}") for n in (1, 2, 3, 4)]
    for version in range(1, rounds + 1):
        sealed = [await seal(client, b, tender) for b in bidders]
        responses = await asyncio.gather(
            *(submit(client, b, tender, s, version=version) for b, s in zip(bidders, sealed, strict=True))
        )
        assert [r.status_code for r in responses] == [201] * len(bidders), [r.text for r in responses]
        assert len({uuid.UUID(r.json()["bid"]["id"]) for r in responses}) == len(bidders)
    for bidder in bidders:
        mine = (await client.get("/api/bids/", headers=bidder.headers, params={"tender_id": tender})).json()
        assert sorted((b["version"], b["status"]) for b in mine) == [(1, "superseded"), (2, "submitted")]


async def test_a_deadline_passing_between_the_read_and_the_write_rolls_the_batch_back(
    app: Litestar, client: httpx.AsyncClient, seeded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch's facts said open; by the time `sunbid_commit_bids` runs the database clock is past the deadline:
    nothing of the batch is written, and each bid, retried alone, is refused as late."""
    await register_custodians(client)
    tender = (await demo_tender(client))["id"]
    bidders = [await certified_bidder(client, f"bidder{n}") for n in (1, 2)]
    envelopes = []
    for bidder in bidders:
        headers = submission_headers(bidder, tender, 1, await seal(client, bidder, tender, 1), 1)
        envelopes.append((await _principal(app, bidder), headers))
    pool = app.state.driver_pool
    signed: list[str] = []

    async def receipt_then_deadline(*args: object) -> object:
        """The real receipt; the first time, the clock also moves past the deadline (another connection)."""
        if not signed:
            async with driver_connection(pool) as other:
                await other.execute(
                    "select sunbid_set_clock_offset("
                    "(select bid_deadline from tenders where id = $1) - now() + interval '1 minute')",
                    uuid.UUID(tender),
                )
        signed.append("x")
        return await issue_receipt(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(committer_module, "issue_receipt", receipt_then_deadline)
    platform = app.state.bid_platform
    committer: BidCommitter = app.state.bid_committer
    try:
        outcomes = await asyncio.gather(
            *(
                committer.commit(p, decode_envelope(platform, h["sunbid-statement"], h["sunbid-escrow"]))
                for p, h in envelopes
            ),
            return_exceptions=True,
        )
    finally:
        async with driver_connection(pool) as connection:
            await connection.execute("select sunbid_set_clock_offset(interval '0')")
    assert [type(o) for o in outcomes] == [BidSubmissionClosed, BidSubmissionClosed], outcomes
    async with driver_connection(pool) as connection:
        assert await connection.fetchval("select count(*) from bids where tender_id = $1", uuid.UUID(tender)) == 0
        assert await connection.fetchval("select count(*) from journal_events where event_type = 'bid.submitted'") == 0
        assert await connection.fetchval("select count(*) from confidential_commitments") == 0


async def test_concurrent_prechecks_share_a_statement_and_each_reads_its_own_facts(
    app: Litestar, client: httpx.AsyncClient, seeded: None
) -> None:
    await register_custodians(client)
    tender = uuid.UUID((await demo_tender(client))["id"])
    bidders = [await certified_bidder(client, f"bidder{n}") for n in (1, 2, 3)]
    principals = [await _principal(app, b) for b in bidders]
    keys = [
        SubmissionKey(tender, 1, p.organization_id, p.user_id, public_key_sha256(b.certificate))
        for b, p in zip(bidders, principals, strict=True)
    ]
    first = keys[0]
    keys += [
        SubmissionKey(uuid.uuid4(), 1, first.bidder_org_id, first.user_id, first.key_sha256),
        SubmissionKey(tender, 99, first.bidder_org_id, first.user_id, first.key_sha256),
        SubmissionKey(tender, 1, first.bidder_org_id, first.user_id, public_key_sha256(bidders[1].certificate)),
    ]
    desk = app.state.submission_facts
    before = desk.fetches
    found = await asyncio.gather(*(desk.get(key) for key in keys))
    assert desk.fetches - before < len(keys)
    for facts in found[:3]:
        assert facts is not None
        assert (facts.id, facts.signer_certified, facts.last_version) == (tender, True, 0)
        assert facts.lot_id is not None
    assert found[3] is None
    assert found[4] is not None
    assert found[4].lot_id is None
    assert found[5] is not None
    assert not found[5].signer_certified


async def _commits_waiting_on_disk(
    app: Litestar, client: httpx.AsyncClient, committer: BidCommitter
) -> tuple[str, list[asyncio.Future[None]], list[asyncio.Task[NewBid]]]:
    """Three bidders' bids queued at once, each with an fsync still under way (a future the test resolves)."""
    await register_custodians(client)
    tender = (await demo_tender(client))["id"]
    bidders = [await certified_bidder(client, f"bidder{n}") for n in (1, 2, 3)]
    platform = app.state.bid_platform
    queued = []
    for bidder in bidders:
        headers = submission_headers(bidder, tender, 1, await seal(client, bidder, tender, 1), 1)
        envelope = decode_envelope(platform, headers["sunbid-statement"], headers["sunbid-escrow"])
        queued.append((await _principal(app, bidder), envelope))
    loop = asyncio.get_running_loop()
    durable: list[asyncio.Future[None]] = [loop.create_future() for _ in bidders]
    calls = [
        asyncio.create_task(committer.commit(principal, envelope, on_disk))
        for (principal, envelope), on_disk in zip(queued, durable, strict=True)
    ]
    return tender, durable, calls


async def test_a_batch_signs_while_its_uploads_reach_the_disk_but_writes_nothing_before(
    app: Litestar, client: httpx.AsyncClient, seeded: None
) -> None:
    """The receipts are made while the uploads are still being fsynced; no row is written until every upload of the
    batch is on disk, and an upload that fails to reach it is refused alone while the others commit."""
    tender, durable, calls = await _commits_waiting_on_disk(app, client, app.state.bid_committer)

    async def rows() -> int:
        async with driver_connection(app.state.driver_pool) as connection:
            count: int = await connection.fetchval("select count(*) from bids where tender_id = $1", uuid.UUID(tender))
            return count

    async def settle() -> None:
        for _ in range(25):
            await asyncio.sleep(0.02)

    try:
        await settle()
        assert not any(call.done() for call in calls)
        assert await rows() == 0
        durable[0].set_result(None)
        durable[1].set_exception(OSError(5, "Input/output error"))
        await settle()
        assert await rows() == 0, "a batch writes once every one of its uploads is on disk"
        durable[2].set_result(None)
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
    finally:
        for on_disk in durable:
            if not on_disk.done():
                on_disk.set_result(None)
    assert isinstance(outcomes[1], OSError), outcomes
    assert not isinstance(outcomes[0], BaseException), outcomes
    assert not isinstance(outcomes[2], BaseException), outcomes
    assert await rows() == 2


async def test_batches_whose_uploads_reach_the_disk_together_are_written_in_one_transaction(
    app: Litestar, client: httpx.AsyncClient, seeded: None
) -> None:
    """Prepared one bid per batch here, three batches become ready while their fsyncs run; the writer takes them
    all in one statement (one transaction), and each bid still gets its own receipt."""
    committer = BidCommitter(app.state.bid_platform, lambda: driver_connection(app.state.driver_pool), batch_limit=1)
    _, durable, calls = await _commits_waiting_on_disk(app, client, committer)
    try:
        for _ in range(25):
            await asyncio.sleep(0.02)
        assert not any(call.done() for call in calls)
        for on_disk in durable:
            on_disk.set_result(None)
        committed = await asyncio.gather(*calls)
    finally:
        for on_disk in durable:
            if not on_disk.done():
                on_disk.set_result(None)
        await committer.close()
    async with driver_connection(app.state.driver_pool) as connection:
        transactions = await connection.fetchval(
            "select count(distinct xmin::text) from bids where id = any($1::uuid[])", [b.id for b in committed]
        )
    assert transactions == 1
    assert len({b.receipt for b in committed}) == len(calls)


async def test_a_refused_identical_retry_leaves_the_committed_bid_its_blob(
    app: Litestar, client: httpx.AsyncClient, seeded: None
) -> None:
    """The same ciphertext sent three times at once (a client retrying): one version commits, the others are refused,
    and the one blob they share stays, whichever upload placed it."""
    await register_custodians(client)
    tender = (await demo_tender(client))["id"]
    bidder = await certified_bidder(client, "bidder1")
    sealed = await seal(client, bidder, tender)
    responses = await asyncio.gather(*(submit(client, bidder, tender, sealed, version=1) for _ in range(3)))
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1, [r.text for r in responses]
    assert set(codes) <= {201, 409}, [r.text for r in responses]
    path = app.state.bid_platform.blobs.path_of(hashlib.sha256(sealed.ciphertext).hexdigest())
    assert path.exists()
    assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(sealed.ciphertext).digest()
