"""`sunbid opening join --release`: the requests wait for the opening, and a replayed message never ends a release.

The hall sends the backlog first and `welcome` last (bidding/opening/hall.py), as these frames do."""

from __future__ import annotations

from sunbid.cli.opening import _Hall

RELEASE = [{"type": "sign_in"}, {"type": "release", "identity": "AGE-SECRET-KEY-1..."}]


def _message(seq: int, kind: str) -> dict[str, object]:
    return {"type": "message", "seq": seq, "kind": kind, "data": {}}


def _welcome(status: str, last_seq: int) -> dict[str, object]:
    return {"type": "welcome", "status": status, "last_seq": last_seq}


def test_requests_wait_for_the_opening_to_start() -> None:
    hall = _Hall(RELEASE, "release")
    assert not hall.ready(_message(2, "host.announcement"))
    assert not hall.ready(_welcome("waiting", 2))
    assert hall.ready(_message(3, "opening.started"))


def test_a_replayed_start_sends_nothing_and_the_welcome_of_a_running_opening_sends() -> None:
    hall = _Hall(RELEASE, "release")
    assert not hall.ready(_message(1, "opening.started"))
    assert hall.ready(_welcome("decrypting", 9))
    hall.sent = True
    assert not hall.ready(_message(10, "opening.started"))


def test_a_replayed_decryption_of_another_lot_does_not_end_a_release() -> None:
    hall = _Hall(RELEASE, "bid.decrypted")
    replayed = _message(7, "bid.decrypted")
    assert not hall.ready(replayed)
    assert not hall.done(replayed)
    assert hall.ready(_welcome("decrypting", 9))
    hall.sent = True
    assert hall.done(_message(10, "bid.decrypted"))


def test_until_the_release_reply() -> None:
    hall = _Hall(RELEASE, "release")
    assert hall.done({"type": "reply", "for": "release", "ok": True, "result": {}})
    assert not hall.done({"type": "reply", "for": "sign_in", "ok": True, "result": {}})


def test_without_requests_a_replayed_message_counts() -> None:
    hall = _Hall([], "opening.started")
    assert hall.done(_message(1, "opening.started"))
    assert not hall.ready(_welcome("decrypting", 9))
