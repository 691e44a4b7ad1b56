"""The pool import reads the CSV a county operator actually has: UTF-8 with Excel's BOM, and refuses GBK clearly."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.integration.evaluation.helpers import HEADER, csv_row, make_expert_users
from tests.support.api import assert_problem, auth


async def test_a_gbk_csv_is_refused_naming_the_encoding_and_a_utf8_one_with_a_bom_is_imported(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    (username,) = await make_expert_users(sessions, 1)
    text = "\n".join([HEADER, csv_row(1, username)])
    operator = {**await auth(client, "operator"), "content-type": "text/csv"}

    gbk = await client.post("/api/experts/import", content=text.encode("gbk"), headers=operator)
    assert_problem(gbk, 422, "not UTF-8", "CSV UTF-8")
    assert (await client.get("/api/experts", headers=operator)).json() == []

    excel = await client.post("/api/experts/import", content=text.encode("utf-8-sig"), headers=operator)
    assert excel.status_code == 201, excel.text
    (expert,) = (await client.get("/api/experts", headers=operator)).json()
    assert expert["name"] == "专家1"
