"""The operation log (电子招标投标办法 Art 49) and rule alerts: one row per state-changing request or refusal.

Rows are written by `OperationLogMiddleware` after the response, in a transaction apart from the request's (plain
SQL on the driver lane, batched by `OperationLogWriter`, since every state-changing request pays for it), so a
refusal that rolled its own transaction back still leaves its trace. Requests that could reveal a bid before the
deadline (sealed paths) are stored `sealed` with the tender they concern; supervision keeps them out of every query
and export until that tender's bid deadline (a database dump still shows them: see docs/security.md).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
import uuid
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import NOW_SQL, Base, IdMixin, driver_transaction, random_id
from signing import jcs

logger = logging.getLogger("sunbid.oplog")

SEALED_PATH_PATTERNS = (
    r"^/api/(bids|guarantees)(/|$)",
    r"^/api/tenders/[^/]+/(guarantees|questions)(/|$)",
    r"^/api/tenders/[^/]+/documents/[^/]+",
)
"""Traffic that tells who takes part in a tender (bids, guarantees, questions, document downloads): who sends it is
itself a secret until the deadline (招标投标法 Art 22), in the operation log, the request log and the metrics alike."""
SEALED_PATHS = re.compile("|".join(SEALED_PATH_PATTERNS))
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
STATE_KEY = "sunbid.oplog"
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class _Request:
    """Columns shared by log entries and alerts: who, from where, on which route, with what result."""

    occurred_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL), index=True)
    method: Mapped[str] = mapped_column(String(10))
    route: Mapped[str] = mapped_column(String(300))
    path: Mapped[str] = mapped_column(String(500))
    status: Mapped[int] = mapped_column(SmallInteger)
    user_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    sealed: Mapped[bool] = mapped_column(server_default=text("false"))
    tender_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    subject_id: Mapped[uuid.UUID | None] = mapped_column(index=True)


class OperationLogEntry(_Request, IdMixin, Base):
    """One state-changing request; `rule` when a statutory rule refused it."""

    __tablename__ = "operation_log"

    rule: Mapped[int | None] = mapped_column()


class RuleAlert(_Request, IdMixin, Base):
    """A request a statutory rule refused (any method); the detail is dropped for sealed traffic."""

    __tablename__ = "rule_alerts"

    rule: Mapped[int] = mapped_column(index=True)
    code: Mapped[str] = mapped_column(String(80))
    detail: Mapped[str | None] = mapped_column(Text)


def is_sealed(scope: Any) -> bool:
    """Whether a request is sealed traffic: by its path, or because its handler sealed it (seal_operation)."""
    return bool(SEALED_PATHS.match(scope["path"])) or "sealed_tender" in scope.get("state", {}).get(STATE_KEY, {})


def annotate(scope: Any, **facts: Any) -> None:
    """Attach facts (sealed tender, rule refusal, the account a sign-in tried) for the middleware to log."""
    state = scope.setdefault("state", {})
    state.setdefault(STATE_KEY, {}).update(facts)


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _header(scope: Any, name: bytes) -> str | None:
    """One request header (ASGI names are lowercase), without decoding the others (a bid's are kilobytes)."""
    for key, value in scope.get("headers", []):
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


def _statement_tender(scope: Any) -> uuid.UUID | None:
    """The tender a bid statement names (unverified: it only decides when the entry may be shown); for a request
    refused before its route verified the statement and annotated the scope with the tender."""
    raw = _header(scope, b"sunbid-statement")
    if not raw:
        return None
    try:
        outer = jcs.loads(base64.b64decode(raw, validate=True))
        payload = jcs.loads(base64.b64decode(outer["payload"], validate=True))
        return _uuid(payload.get("tender"))
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def describe(scope: Any, status: int) -> dict[str, Any] | None:
    """The log columns of a finished request, or None when the request is not logged."""
    path: str = scope["path"]
    facts: dict[str, Any] = scope.get("state", {}).get(STATE_KEY, {})
    refusal = facts.get("refusal")
    if scope["method"] not in UNSAFE_METHODS and refusal is None:
        return None
    route: str = scope.get("path_template") or path
    ids = [_uuid(m) for m in _UUID.findall(path)]
    sealed = bool(SEALED_PATHS.match(path)) or "sealed_tender" in facts
    tender_id = _uuid(facts.get("sealed_tender")) if facts.get("sealed_tender") else None
    if tender_id is None and "{tender_id" in route and ids:
        tender_id = ids[0]
    if tender_id is None and sealed:
        tender_id = _statement_tender(scope)
    user = scope.get("user")
    default = (getattr(user, "user_id", None), getattr(user, "organization_id", None))
    account_user, account_org = facts.get("account", default)  # a sign-in names the account it tried
    client = scope.get("client")
    return {
        "method": scope["method"],
        "route": route[:300],
        "path": path[:500],
        "status": status,
        "user_id": account_user,
        "organization_id": account_org,
        "ip": client[0][:45] if client else None,
        "user_agent": (_header(scope, b"user-agent") or "")[:300] or None,
        "sealed": sealed,
        "tender_id": tender_id,
        "subject_id": ids[0] if ids else None,
        "refusal": refusal,
    }


_COLUMNS = (
    "method",
    "route",
    "path",
    "status",
    "user_id",
    "organization_id",
    "ip",
    "user_agent",
    "sealed",
    "tender_id",
    "subject_id",
)
INSERT_ENTRIES_SQL = """
insert into operation_log (id, rule, method, route, path, status, user_id, organization_id, ip, user_agent, sealed,
                           tender_id, subject_id)
select * from unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::smallint[], $7::uuid[],
                     $8::uuid[], $9::text[], $10::text[], $11::bool[], $12::uuid[], $13::uuid[])
"""
"""A batch's entries in one statement (one executor run instead of one per row)."""
INSERT_ALERT_SQL = """
insert into rule_alerts (id, rule, method, route, path, status, user_id, organization_id, ip, user_agent, sealed,
                         tender_id, subject_id, code, detail)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
"""
"""An entry is (id, rule, *_COLUMNS in order), given column-wise; an alert adds code and detail."""


async def warm_operation_log(connection: asyncpg.Connection) -> None:
    """Prepare the batch insert on a new driver connection (core.db.create_driver_pool warmers); inserts nothing."""
    await connection.execute(INSERT_ENTRIES_SQL, *([] for _ in range(2 + len(_COLUMNS))))


def _parameters(row: dict[str, Any]) -> tuple[tuple[Any, ...] | None, tuple[Any, ...] | None]:
    """The entry's and the alert's INSERT parameters (None where the row needs none)."""
    refusal = row.get("refusal")
    rule = refusal["rule"] if refusal else None
    columns = tuple(row[c] for c in _COLUMNS)
    entry = (random_id(), rule, *columns) if row["method"] in UNSAFE_METHODS else None
    alert = None
    if refusal is not None:
        alert = (random_id(), rule, *columns, refusal["code"], None if row["sealed"] else refusal["detail"])
    return entry, alert


class OperationLogWriter:
    """Group commit for the log: rows that arrive while a batch is being written go together in the next one, so a
    burst of requests costs one transaction (one WAL flush) per batch instead of one per request. A caller's write
    returns once its row is committed (or its failure logged: the log never fails a request)."""

    def __init__(self, pool: asyncpg.Pool, batch_limit: int = 500) -> None:
        self._pool = pool
        self._batch_limit = batch_limit
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def write(self, row: dict[str, Any]) -> None:
        """Queue the row and wait for the batch that stores it."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((row, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await asyncio.shield(done)

    async def _flush(self) -> None:
        while self._pending:
            batch = self._pending[: self._batch_limit]
            del self._pending[: self._batch_limit]
            parameters = [_parameters(row) for row, _ in batch]
            try:
                await self._store(parameters)
            except Exception:
                for (row, _), one in zip(batch, parameters, strict=True):
                    try:
                        await self._store([one])
                    except Exception:
                        logger.exception("operation log write failed for %s %s", row["method"], row["route"])
            for _, done in batch:
                if not done.done():
                    done.set_result(None)

    async def _store(self, parameters: list[tuple[tuple[Any, ...] | None, tuple[Any, ...] | None]]) -> None:
        """One transaction for the rows (a batch, or one row when a batch failed and is retried row by row)."""
        async with driver_transaction(self._pool) as connection:
            entries = [entry for entry, _ in parameters if entry is not None]
            alerts = [alert for _, alert in parameters if alert is not None]
            if entries:
                await connection.execute(INSERT_ENTRIES_SQL, *(list(column) for column in zip(*entries, strict=True)))
            if alerts:
                await connection.executemany(INSERT_ALERT_SQL, alerts)

    async def close(self) -> None:
        """Wait for rows already queued (at shutdown)."""
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)


class OperationLogMiddleware:
    """Art 49: every state-changing request with time (database clock), IP and user; refusals become rule alerts."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = {"code": 500}

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            row = describe(scope, status["code"])
            writer = getattr(getattr(scope.get("app"), "state", None), "oplog_writer", None)
            if row is not None and writer is not None:
                await writer.write(row)
