"""The result notice's OCDS award release, built like trading's tender releases and validated by the same tool."""

from __future__ import annotations

from typing import Any

from trading.notices.ocds import OCID_PREFIX, PUBLISHER, SCHEME


def award_release(notice: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A release package with one award per lot: the supplier by CN-USCI id, the value and the date."""
    buyer = notice["tenderee"]
    parties: dict[str, dict[str, Any]] = {
        buyer["credit_code"]: {
            "id": f"{SCHEME}-{buyer['credit_code']}",
            "name": buyer["name"],
            "identifier": {"scheme": SCHEME, "id": buyer["credit_code"], "legalName": buyer["name"]},
            "roles": ["buyer"],
        }
    }
    awards = []
    for lot in notice["lots"]:
        winner = lot["winner"]
        party = parties.setdefault(
            winner["credit_code"],
            {
                "id": f"{SCHEME}-{winner['credit_code']}",
                "name": winner["name"],
                "identifier": {"scheme": SCHEME, "id": winner["credit_code"], "legalName": winner["name"]},
                "roles": [],
            },
        )
        if "supplier" not in party["roles"]:  # one winner of several lots is one party with the role once
            party["roles"].append("supplier")
        awards.append(
            {
                "id": lot["award"],
                "title": f"第{lot['lot']}标段 中标结果",
                "status": "active",
                "date": notice["notified_at"],
                "value": {"amount": float(lot["price"]), "currency": notice["currency"]},
                "suppliers": [{"id": party["id"], "name": winner["name"]}],
                "relatedLots": [f"lot-{lot['lot']}"],
            }
        )
    release = {
        "ocid": f"{OCID_PREFIX}-{notice['tender']}",
        "id": f"award-{notice['tender']}",
        "date": notice["notified_at"],
        "tag": ["award"],
        "initiationType": "tender",
        "language": "zh",
        "parties": list(parties.values()),
        "buyer": {"id": f"{SCHEME}-{buyer['credit_code']}", "name": buyer["name"]},
        "tender": {
            "id": notice["tender"],
            "title": notice["title"],
            "lots": [{"id": f"lot-{lot['lot']}", "title": lot["title"]} for lot in notice["lots"]],
        },
        "awards": awards,
    }
    return {
        "uri": f"{base_url}/api/awards/{notice['tender']}/ocds",
        "version": "1.1",
        "publishedDate": notice["notified_at"],
        "publisher": PUBLISHER,
        "releases": [release],
    }
