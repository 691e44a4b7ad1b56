"""OCDS 1.1 release packages for published notices, validated offline against the bundled standard ZIP."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from trading.tenders.models import TenderNotice

STANDARD_ZIP = Path(__file__).parent / "data" / "ocds-standard-1__1__5.zip"
OCID_PREFIX = "ocds-sunbid"  # U: a registered OCDS prefix must replace this before publishing to the registry
PUBLISHER = {"name": "Sunbid 公共资源交易平台", "uri": "https://sunbid.example"}
SCHEME = "CN-USCI"

TAGS = {"tender": "tender", "amendment": "tenderAmendment", "cancellation": "tenderCancellation"}
METHODS = {"open": ("open", "公开招标"), "invited": ("selective", "邀请招标")}


def ocid(tender_id: str) -> str:
    """The contracting process id: prefix plus the tender's random id."""
    return f"{OCID_PREFIX}-{tender_id}"


def party_id(org: dict[str, Any]) -> str:
    """An organization's OCDS id in the CN-USCI scheme."""
    return f"{SCHEME}-{org['credit_code']}"


def _party(org: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    party: dict[str, Any] = {
        "id": party_id(org),
        "name": org["name"],
        "identifier": {"scheme": SCHEME, "id": org["credit_code"], "legalName": org["name"]},
        "roles": roles,
    }
    return party


def _money(amount: str, currency: str) -> dict[str, Any]:
    return {"amount": float(Decimal(amount)), "currency": currency}


def build_release(notice: TenderNotice, base_url: str) -> dict[str, Any]:
    """One release describing the notice: parties by CN-USCI id, tender period, lots as items, documents by hash."""
    c = notice.content
    tenderee, agency = c["tenderee"], c["agency"]
    parties = [_party(tenderee, ["buyer"])]
    if agency["id"] == tenderee["id"]:
        parties[0]["roles"].append("procuringEntity")
    else:
        parties.append(_party(agency, ["procuringEntity"]))
    method, method_details = METHODS[c["method"]]
    tender: dict[str, Any] = {
        "id": c["tender_id"],
        "title": c["title"],
        "description": c["description"],
        "status": "cancelled" if notice.kind == "cancellation" else "active",
        "procuringEntity": {"id": party_id(agency), "name": agency["name"]},
        "value": _money(c["total_estimate"], c["currency"]),
        "procurementMethod": method,
        "procurementMethodDetails": method_details,
        "mainProcurementCategory": c["category"],
        "awardCriteriaDetails": c["evaluation_method"],
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": {"startDate": c["issued_at"], "endDate": c["bid_deadline"]},
        "items": [{"id": f"lot-{lot['number']}", "description": lot["title"], "quantity": 1} for lot in c["lots"]],
        "documents": [
            {
                "id": d["id"],
                "documentType": "biddingDocuments",
                "title": d["title"],
                "description": f"SHA-256 {d['sha256']}",
                "url": f"{base_url}/api/tenders/{c['tender_id']}/documents/{d['id']}",
                "format": d["media_type"],
                "datePublished": d["published_at"],
            }
            for d in c["documents"]
        ],
    }
    amendment = c.get("amendment")
    if amendment:
        tender["amendments"] = [
            {
                "id": amendment["id"],
                "date": c["notice_published_at"],
                "rationale": amendment["summary"],
                "description": amendment["description"],
            }
        ]
    if notice.kind == "cancellation":
        tender["statusDetails"] = c["cancellation"]["reason"]
    return {
        "ocid": ocid(c["tender_id"]),
        "id": str(notice.id),
        "date": c["notice_published_at"],
        "tag": [TAGS[notice.kind]],
        "initiationType": "tender",
        "language": "zh",
        "parties": parties,
        "buyer": {"id": party_id(tenderee), "name": tenderee["name"]},
        "tender": tender,
    }


def release_package(notice: TenderNotice, base_url: str) -> dict[str, Any]:
    """The release package served at /api/notices/{id}/ocds."""
    return {
        "uri": f"{base_url}/api/notices/{notice.id}/ocds",
        "version": "1.1",
        "publishedDate": notice.content["notice_published_at"],
        "publisher": PUBLISHER,
        "releases": [build_release(notice, base_url)],
    }


def validate_package(package: dict[str, Any]) -> dict[str, Any]:
    """libcoveocds' report for a package, using only the bundled standard ZIP (no network)."""
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    config = LibCoveOCDSConfig({"standard_zip": STANDARD_ZIP.as_uri(), "context": "api"})
    result: dict[str, Any] = ocds_json_output(json_data=package, lib_cove_ocds_config=config, schema_version="1.1")
    return result
