"""Role x endpoint over every evaluation endpoint: 401 anonymous, 403 wrong role, 404 when not on this committee or
the thing is confidential, and admitted otherwise (a domain refusal such as 409 or 422 still means admitted).

The matrix runs twice: while the report awaits signatures (names and results confidential, rule 39) and after it is
signed (results and the draw record open to the tender's parties and the public, award endpoints live)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sunbid.seed import DEMO_PARTIES
from tests.integration.evaluation.helpers import HEADER
from tests.integration.evaluation.panel import form_committee, review_and_score, sign_report
from tests.support.api import auth

THREE = {"bidder1": "11800000.00", "bidder2": "11500000.00", "bidder3": "12100000.00"}
OK = "admitted"
"""Anything but 401, 403 and 404: the caller got past authentication, authorization and the confidentiality check."""


@dataclass(frozen=True)
class Who:
    """A caller as the matrix sees it."""

    name: str
    roles: frozenset[str]
    party: bool = False
    member: bool = False
    profile: bool = False

    def has(self, *roles: str) -> bool:
        """Holds one of these roles."""
        return bool(self.roles & set(roles))


ANONYMOUS = Who("anonymous", frozenset())
Expect = Callable[[Who], int | str]


def guarded(roles: tuple[str, ...], then: Expect = lambda _: OK) -> Expect:
    """401 anonymous, 403 without one of the roles, else `then`."""
    return lambda w: 401 if w is ANONYMOUS else (then(w) if w.has(*roles) else 403)


def signed_in(then: Expect) -> Expect:
    """401 anonymous, else `then`."""
    return lambda w: 401 if w is ANONYMOUS else then(w)


def public(status: int | str) -> Expect:
    """Everyone, signed in or not, gets the same answer."""
    return lambda _: status


WORKROOM = guarded(("expert", "tenderee"), lambda w: OK if w.member else 404)
NO_PACKAGE = guarded(("expert", "tenderee"), lambda _: 404)
"""A bid file of the simulated opening: it kept no package, so members get 404 as well (test_opening_to_award
downloads real ones)."""
SEAT = guarded(("expert",), lambda w: OK if w.member else 404)


def award_act(signed: bool) -> Expect:
    """The tender's agency and tenderee; before the report is signed there is no award to act on (404)."""
    return guarded(("agency", "tenderee"), lambda w: (OK if signed else 404) if w.party else 403)


def report_view(signed: bool) -> Expect:
    """Members always; once signed, the tender's parties, regulators and the operator too; else 404."""
    return signed_in(lambda w: OK if w.member or (signed and (w.party or w.has("regulator", "operator"))) else 404)


@dataclass(frozen=True)
class Case:
    """One endpoint: method, path template, body (or raw CSV), and the expectation per caller."""

    method: str
    template: str
    expect: Expect
    body: Any = None
    csv: bool = False
    query: str = ""


def cases(signed: bool) -> list[Case]:
    """Every evaluation endpoint with what each kind of caller must get in this phase."""
    ev, td = "/api/evaluations/{tender_id:uuid}", "/api/tenders/{tender_id:uuid}"
    aw = "/api/awards/{tender_id:uuid}"
    bidder = "{bidder1}"
    return [
        Case("POST", f"{ev}/enter", WORKROOM, {"no_conflict": True}),
        Case("GET", f"{ev}/bids", WORKROOM),
        Case(
            "GET",
            f"{ev}/files",
            guarded(("expert", "tenderee"), lambda _: 404),
            query=f"?lot=1&bidder={bidder}&name=技术标.pdf",
        ),
        Case("POST", f"{ev}/reviews", WORKROOM, {"lot": 1, "bidder": bidder, "passed": True}),
        Case("POST", f"{ev}/scores", WORKROOM, {"statement": "{}"}),
        Case("POST", f"{ev}/scores/revisions", WORKROOM, {"statement": "{}", "reason": "sum_error"}),
        Case("POST", f"{ev}/extension-votes", WORKROOM, {"reason": "时间不足"}),
        Case("POST", f"{ev}/chair-votes", WORKROOM, {"seat": 1}),
        Case("POST", f"{ev}/rejection-votes", WORKROOM, {"statement": "{}"}),
        Case("POST", f"{ev}/clarifications", WORKROOM, {"lot": 1, "bidder": bidder, "question": "请说明"}),
        Case("POST", f"{ev}/report", WORKROOM),
        Case("POST", f"{ev}/report/signatures", WORKROOM, {"pdf_base64": "AAAA"}),
        Case("POST", f"{ev}/report/refusals", WORKROOM, {}),
        Case("GET", f"{ev}/report", report_view(signed)),
        Case("GET", f"{ev}/report/pdf", report_view(signed)),
        Case(
            "GET",
            f"{ev}/",
            guarded(
                ("expert", "tenderee", "agency", "regulator", "operator"),
                lambda w: OK if w.member or w.party or w.has("regulator", "operator") else 404,
            ),
        ),
        Case("GET", "/api/clarifications/", guarded(("bidder",))),
        Case(
            "POST",
            "/api/clarifications/{clarification_id:uuid}/reply",
            guarded(("bidder",), lambda _: 404),
            {"statement": "{}"},
        ),
        Case("POST", f"{td}/draws", guarded(("agency",)), {"specialties": {"A01": 5}}),
        Case(
            "GET",
            f"{td}/draws",
            signed_in(lambda w: OK if w.party or w.has("regulator", "operator") else 403),
        ),
        Case("POST", "/api/draws/{draw_id:uuid}/complete", guarded(("agency", "operator"))),
        Case("GET", "/api/draws/{draw_id:uuid}/record", public(OK if signed else 404)),
        Case("GET", "/api/seats", guarded(("expert",))),
        Case("POST", "/api/seats/{member_id:uuid}/accept", SEAT),
        Case("POST", "/api/seats/{member_id:uuid}/decline", SEAT, {"reason": "矩阵测试"}),
        Case("POST", "/api/experts/import", guarded(("operator",)), HEADER, csv=True),
        Case("GET", "/api/experts/", signed_in(lambda w: OK if w.has("operator", "regulator") else 403)),
        Case("GET", "/api/experts/me", signed_in(lambda w: OK if w.profile else 404)),
        Case(
            "GET",
            "/api/experts/{expert_id:uuid}",
            signed_in(lambda w: OK if w.has("operator", "regulator") or w.name == "outsider" else 404),
        ),
        Case(
            "POST",
            "/api/experts/{expert_id:uuid}/qualification",
            guarded(("operator",)),
            {"approved": True, "documents": [{"title": "职称证书", "sha256": "a" * 64}]},
        ),
        Case("POST", "/api/experts/{expert_id:uuid}/suspend", guarded(("operator",)), {"reason": "矩阵测试"}),
        Case("POST", "/api/experts/{expert_id:uuid}/reinstate", guarded(("operator",))),
        Case("GET", f"{aw}/", public(OK)),
        Case("GET", f"{aw}/ocds", public(404)),
        Case("POST", f"{aw}/decision", award_act(signed), {"lot": 1, "rank": 1}),
        Case("POST", f"{aw}/notice", guarded(("agency", "tenderee"), lambda w: OK if w.party else 403)),
        Case("POST", f"{aw}/contract", award_act(signed), {"lot": 1, "signed": True}),
        Case("POST", f"{aw}/regulator-report", award_act(signed), {"lot": 1}),
    ]


def evaluation_routes(app: Litestar) -> set[tuple[str, str]]:
    """(method, path) of every route tagged evaluation."""
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if "evaluation" in handler.resolve_tags():
                found |= {(m, route.path) for m in handler.http_methods if m != "OPTIONS"}
    return found


def _norm(template: str) -> str:
    return template.rstrip("/") or "/"


async def _callers(client: httpx.AsyncClient, tender: dict[str, Any], member: str, outsider: str) -> list[Who]:
    callers = [ANONYMOUS]
    for username in [*(p.username for p in DEMO_PARTIES), member, outsider]:
        me = (await client.get("/api/auth/me", headers=await auth(client, username))).json()
        callers.append(
            Who(
                "member" if username == member else "outsider" if username == outsider else username,
                frozenset(me["roles"]),
                party=me["organization_id"] in (tender["agency_id"], tender["tenderee_id"]),
                member=username == member,
                profile=username in (member, outsider),
            )
        )
    return callers


async def _run(
    client: httpx.AsyncClient, callers: list[Who], users: dict[str, str], ids: dict[str, str], signed: bool
) -> list[str]:
    failures = []
    tokens = {w.name: await auth(client, users[w.name]) for w in callers if w is not ANONYMOUS}
    for case in cases(signed):
        path = case.template + case.query
        for name, value in ids.items():
            path = path.replace("{" + name + "}", value)
        for who in callers:
            headers = tokens.get(who.name, {})
            if case.csv:
                response = await client.request(
                    case.method, path, content=case.body.encode(), headers={**headers, "content-type": "text/csv"}
                )
            else:
                body = case.body
                if isinstance(body, dict):
                    body = {k: ids.get(v.strip("{}"), v) if isinstance(v, str) else v for k, v in body.items()}
                response = await client.request(case.method, path, json=body, headers=headers)
            expected = case.expect(who)
            got = response.status_code
            admitted = got not in (401, 403, 404)
            if not (admitted if expected == OK else got == expected):
                failures.append(f"{case.method} {case.template} as {who.name}: expected {expected}, got {got}")
            if not admitted or got >= 400:
                assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return failures


@pytest.mark.usefixtures("seeded")
async def test_evaluation_role_matrix(
    app: Litestar, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    covered = {(c.method, _norm(c.template)) for c in cases(False)}
    assert {(m, _norm(p)) for m, p in evaluation_routes(app)} == covered

    committee = await form_committee(client, app, sessions, shift_clock, THREE)
    tid = committee.tender_id
    member, outsider = next(iter(committee.members)), next(u for u in committee.pool if u not in committee.members)
    tender = (await client.get(f"/api/tenders/{tid}")).json()
    callers = await _callers(client, tender, member, outsider)
    users = {p.username: p.username for p in DEMO_PARTIES} | {"member": member, "outsider": outsider}
    seats = (await client.get("/api/seats", headers=await auth(client, member))).json()
    ids = {
        "tender_id:uuid": tid,
        "draw_id:uuid": committee.draw["id"],
        "member_id:uuid": seats[0]["id"],
        "expert_id:uuid": committee.pool[outsider],
        "clarification_id:uuid": str(uuid.uuid4()),
        "bidder1": committee.bidders["bidder1"],
    }
    await review_and_score(client, tid, committee.members, committee.bidders)
    rendered = await client.post(f"/api/evaluations/{tid}/report", headers=await auth(client, member))
    assert rendered.status_code == 201, rendered.text

    failures = await _run(client, callers, users, ids, signed=False)
    for username, expert in committee.members.items():
        if username != member:
            expert.headers = await auth(client, username)
            assert (await sign_report(client, tid, expert)).status_code == 201
    report = await client.get(f"/api/evaluations/{tid}/report", headers=await auth(client, "regulator"))
    assert report.json()["status"] == "signed", report.text
    failures += await _run(client, callers, users, ids, signed=True)
    assert failures == [], "\n".join(failures)
