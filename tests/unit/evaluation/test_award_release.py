"""The award release names each party once with each role once, however many lots it won."""

from __future__ import annotations

from evaluation.award.ocds import award_release

WINNER = {"credit_code": "91330100MA0000001X", "name": "东方建设工程有限公司"}


def test_a_winner_of_two_lots_is_one_supplier_with_two_awards() -> None:
    notice = {
        "tender": "t-1",
        "title": "道路工程",
        "currency": "CNY",
        "notified_at": "2026-12-30T10:00:00+08:00",
        "tenderee": {"credit_code": "91330100MA0000002X", "name": "招标人"},
        "lots": [
            {"lot": 1, "title": "一标段", "award": "a-1", "price": "100.00", "winner": WINNER},
            {"lot": 2, "title": "二标段", "award": "a-2", "price": "200.00", "winner": WINNER},
        ],
    }
    release = award_release(notice, "http://sunbid.test")["releases"][0]
    suppliers = [p for p in release["parties"] if "supplier" in p["roles"]]
    assert len(suppliers) == 1
    assert suppliers[0]["roles"] == ["supplier"]
    assert [a["suppliers"][0]["id"] for a in release["awards"]] == [suppliers[0]["id"]] * 2
