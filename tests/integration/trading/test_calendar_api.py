"""The statutory calendar over HTTP: periods, the operator's holiday updates, unknown years refused."""

from __future__ import annotations

import httpx

from tests.support.api import assert_problem, auth


async def test_acceptance_10_working_days_from_2026_09_28(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/calendar/period", params={"start": "2026-09-28", "days": 10, "unit": "working_days"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["last_day"] == "2026-10-16"
    assert body["ends_at"] == "2026-10-17T00:00:00+08:00"
    assert body["warnings"] == []


async def test_unknown_year_is_refused_until_the_operator_loads_it(client: httpx.AsyncClient, seeded: None) -> None:
    params = {"start": "2099-01-02", "days": 1, "unit": "working_days"}
    assert_problem(await client.get("/api/calendar/period", params=params), 409, "no holiday data for 2099")
    year = {"holidays": [{"day": "2099-01-05", "name": "元旦"}], "workdays": []}
    for who, status in (("bidder1", 403), ("agency", 403)):
        response = await client.put("/api/calendar/years/2099", json=year, headers=await auth(client, who))
        assert response.status_code == status
    assert (await client.put("/api/calendar/years/2099", json=year)).status_code == 401
    response = await client.put("/api/calendar/years/2099", json=year, headers=await auth(client, "operator"))
    assert response.status_code == 200, response.text
    assert (await client.get("/api/calendar/period", params=params)).json()["last_day"] == "2099-01-06"
    assert 2099 in [y["year"] for y in (await client.get("/api/calendar/years")).json()]
