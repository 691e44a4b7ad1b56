"""Public read endpoints of the supervision ledger, and the operator's on-demand checkpoint."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import Parameter

from core.identity.roles import Role
from core.schemas import BIGINT_MAX
from core.web import UnitOfWork, requires
from supervision.ledger import services
from supervision.ledger.models import LedgerCheckpoint, LedgerEntry
from supervision.ledger.schemas import CheckpointOut, ConsistencyProofOut, EntriesOut, EntryOut, InclusionProofOut
from supervision.ledger.worker import LedgerWorker

TEXT = "text/plain; charset=utf-8"


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _entry_out(entry: LedgerEntry) -> EntryOut:
    return EntryOut(index=entry.index, entry=entry.entry.decode(), leaf_hash=_b64(entry.leaf_hash))


def _checkpoint_out(checkpoint: LedgerCheckpoint) -> CheckpointOut:
    return CheckpointOut(size=checkpoint.size, root=_b64(checkpoint.root), note=checkpoint.note)


class LedgerController(Controller):
    """Anyone may read the ledger and its proofs; only what is already public or blinded is in it."""

    path = "/api/ledger"
    tags = ["ledger"]  # noqa: RUF012 (Litestar reads this class attribute)

    @get("/checkpoint", media_type=TEXT, summary="Latest signed checkpoint (C2SP tlog-checkpoint note)")
    async def checkpoint(self, uow: UnitOfWork) -> str:
        """The newest signed tree head, as note text."""
        async with uow.read() as session:
            return (await services.latest_checkpoint(session)).note

    @post("/checkpoint", guards=[requires(Role.OPERATOR)], summary="Sign a checkpoint now (operator)")
    async def sign_now(self, request: Request[Any, Any, Any]) -> CheckpointOut:
        """Catch up and sign the current tree head (the timer does the same every interval)."""
        worker: LedgerWorker = request.app.state.ledger_worker
        return _checkpoint_out(await worker.checkpoint())

    @get("/vkey", media_type=TEXT, summary="The checkpoint verifier key")
    async def vkey(self, request: Request[Any, Any, Any]) -> str:
        """The key auditors pin (`sunbid audit verify --key`)."""
        worker: LedgerWorker = request.app.state.ledger_worker
        return worker.key.vkey + "\n"

    @get("/entries", summary="Entries [start, end)")
    async def entries(
        self, uow: UnitOfWork, start: int = Parameter(ge=0, le=BIGINT_MAX), end: int = Parameter(ge=1, le=BIGINT_MAX)
    ) -> EntriesOut:
        """At most 1000 entries per request."""
        async with uow.read() as session:
            rows = await services.entries(session, start, end)
            size = await services.current_size(session)
        return EntriesOut(size=size, entries=[_entry_out(e) for e in rows])

    @get("/events/{event_id:uuid}", summary="The entry of a journal event")
    async def event_entry(self, event_id: uuid.UUID, uow: UnitOfWork) -> EntryOut:
        """Not found while the event is sealed until its tender's opening."""
        async with uow.read() as session:
            return _entry_out(await services.entry_for_event(session, event_id))

    @get("/proof/inclusion", summary="Inclusion proof of one entry in a tree size")
    async def inclusion(
        self, uow: UnitOfWork, index: int = Parameter(ge=0, le=BIGINT_MAX), size: int = Parameter(ge=1, le=BIGINT_MAX)
    ) -> InclusionProofOut:
        """Verify with the root of the checkpoint of that size."""
        async with uow.read() as session:
            proof = await services.inclusion_proof(session, index, size)
            leaf = (await services.fetch_nodes(session, [(0, index)]))[(0, index)]
        return InclusionProofOut(index=index, size=size, leaf_hash=_b64(leaf), proof=[_b64(h) for h in proof])

    @get("/proof/consistency", summary="Consistency proof between two tree sizes")
    async def consistency(
        self, uow: UnitOfWork, first: int = Parameter(ge=1, le=BIGINT_MAX), second: int = Parameter(ge=1, le=BIGINT_MAX)
    ) -> ConsistencyProofOut:
        """Proves the tree of `second` entries extends the tree of `first`."""
        async with uow.read() as session:
            proof = await services.consistency_proof(session, first, second)
        return ConsistencyProofOut(first=first, second=second, proof=[_b64(h) for h in proof])
