"""HTTP endpoints for clocks and cards: regulators see all, every organization sees its own."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from litestar import Controller, Response, get
from litestar.di import Provide
from litestar.params import Parameter, QueryParameter

from core.identity.principal import Principal
from core.web import UnitOfWork, principal_dependency, signed_in
from supervision.clocks import services
from supervision.clocks.export import card_out, cards_csv, cards_json
from supervision.clocks.models import StatutoryClock
from supervision.clocks.schemas import CardOut, ClockOut

Colour = Literal["yellow", "red"]
RuleNumber = Annotated[int | None, Parameter(ge=1, le=1000)]


def clock_out(clock: StatutoryClock) -> ClockOut:
    """The API view of a clock."""
    return ClockOut(
        id=clock.id,
        subject_type=clock.subject_type,
        subject_id=clock.subject_id,
        purpose=clock.purpose,
        tender_id=clock.tender_id,
        rule=clock.rule,
        label=clock.label,
        unit=clock.unit,
        days=clock.days,
        responsible_org_id=clock.responsible_org_id,
        started_at=clock.started_at,
        yellow_at=clock.yellow_at,
        due_at=clock.due_at,
        state=clock.state,
        ended_at=clock.ended_at,
    )


def _filter(
    *,
    tender: uuid.UUID | None,
    organization: uuid.UUID | None,
    colour: Colour | None,
    rule: int | None,
    since: date | None,
    until: date | None,
) -> services.CardFilter:
    return services.CardFilter(tender, organization, colour, rule, since, until)


class ClockController(Controller):
    """Statutory clocks and the cards they raise."""

    path = "/api/supervision"
    tags = ["supervision"]  # noqa: RUF012 (Litestar reads this class attribute)
    guards = [signed_in]  # noqa: RUF012 (Litestar reads this class attribute)
    dependencies = {"principal": Provide(principal_dependency, sync_to_thread=False)}  # noqa: RUF012

    @get("/clocks", summary="Statutory clocks by due time")
    async def clocks(
        self,
        *,
        uow: UnitOfWork,
        principal: Principal,
        tender: uuid.UUID | None = None,
        clock_state: Annotated[
            Literal["running", "yellow", "red", "paused", "met", "cancelled"] | None, QueryParameter(name="state")
        ] = None,
    ) -> list[ClockOut]:
        """Regulators: every clock; others: clocks their organization must meet."""
        async with uow.read() as session:
            return [clock_out(c) for c in await services.list_clocks(session, principal, tender, clock_state)]

    @get("/cards", summary="Yellow and red cards, filtered")
    async def cards(
        self,
        *,
        uow: UnitOfWork,
        principal: Principal,
        tender: uuid.UUID | None = None,
        organization: uuid.UUID | None = None,
        colour: Colour | None = None,
        rule: RuleNumber = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[CardOut]:
        """Newest first; `since` and `until` are calendar days (Asia/Shanghai), inclusive."""
        flt = _filter(tender=tender, organization=organization, colour=colour, rule=rule, since=since, until=until)
        async with uow.read() as session:
            return [card_out(c) for c in await services.list_cards(session, principal, flt)]

    @get("/cards/export", summary="The filtered cards as CSV or JSON")
    async def export(
        self,
        *,
        uow: UnitOfWork,
        principal: Principal,
        export_format: Annotated[Literal["csv", "json"], QueryParameter(name="format")] = "csv",
        tender: uuid.UUID | None = None,
        organization: uuid.UUID | None = None,
        colour: Colour | None = None,
        rule: RuleNumber = None,
        since: date | None = None,
        until: date | None = None,
    ) -> Response[bytes]:
        """A download with the same filters as the list."""
        flt = _filter(tender=tender, organization=organization, colour=colour, rule=rule, since=since, until=until)
        async with uow.read() as session:
            cards = await services.list_cards(session, principal, flt)
        if export_format == "json":
            body, media = cards_json(cards), "application/json"
        else:
            body, media = cards_csv(cards).encode("utf-8"), "text/csv"  # Litestar adds charset=utf-8 to text types
        headers = {"content-disposition": f'attachment; filename="cards.{export_format}"'}
        return Response(body, media_type=media, headers=headers)
