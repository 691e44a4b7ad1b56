"""Who may sit (rules 35 and 37): the specialty code list, qualification, and the conflict-of-interest checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from evaluation.experts.states import ExpertStatus, TitleLevel

SPECIALTIES: dict[str, str] = {
    "A01": "道路工程",
    "A02": "桥梁工程",
    "A03": "市政工程",
    "A04": "房屋建筑工程",
    "B01": "工程造价",
    "C01": "信息化设备",
    "C02": "通用设备",
    "D01": "物业管理服务",
    "E01": "法律",
    "E02": "财务",
}
"""The pool's specialty code list (a local excerpt; U: the national classification's codes are not loaded)."""

MIN_YEARS_WORKS = 8
SENIOR_LEVELS = frozenset({TitleLevel.SENIOR, TitleLevel.FULL_SENIOR})
CONFLICT_YEARS = 3


def years_between(start: date, today: date) -> int:
    """Whole years from start to today."""
    return today.year - start.year - ((today.month, today.day) < (start.month, start.day))


def qualifies_for_works(title_level: str, practice_since: date, today: date) -> bool:
    """Rule 35 (法 Art 37): 工程 experts have at least 8 years in the field and a senior title."""
    return TitleLevel(title_level) in SENIOR_LEVELS and years_between(practice_since, today) >= MIN_YEARS_WORKS


@dataclass(frozen=True)
class ConflictInput:
    """What the conflict check needs about one expert."""

    employer_credit_code: str | None
    past_employers: Iterable[Mapping[str, Any]]
    declared_relations: Iterable[Mapping[str, Any]]


def conflicts(expert: ConflictInput, parties: Mapping[str, str], today: date) -> list[str]:
    """Rule 37: employed by a party now or within 3 years, or a declared relation to one; `parties` maps code->role."""
    found = []
    if expert.employer_credit_code is not None and expert.employer_credit_code in parties:
        found.append(f"employed by the {parties[expert.employer_credit_code]}")
    for job in expert.past_employers:
        code = str(job.get("credit_code"))
        ended = job.get("end")
        if code in parties and (ended is None or years_between(date.fromisoformat(ended), today) < CONFLICT_YEARS):
            found.append(f"employed by the {parties[code]} within {CONFLICT_YEARS} years")
    for relation in expert.declared_relations:
        code = str(relation.get("credit_code"))
        if code in parties:
            found.append(f"declared relation ({relation.get('relation', 'related')}) to the {parties[code]}")
    return found


def draw_bar(
    status: str, suspended_until: datetime | None, sanctioned_until: datetime | None, now: datetime
) -> str | None:
    """Why the expert's standing keeps it out of a draw at `now`, or None: a regulator's sanction in force, or a
    status other than active (an operator's suspension that has lapsed counts as active)."""
    if sanctioned_until is not None and sanctioned_until > now:
        return f"suspended by a regulator until {sanctioned_until.isoformat()}"
    lapsed = status == ExpertStatus.SUSPENDED and suspended_until is not None and suspended_until <= now
    if status != ExpertStatus.ACTIVE and not lapsed:
        return status
    return None
