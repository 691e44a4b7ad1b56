"""`sunbid opening join --release`: the requests wait for the opening, and a replayed message never ends a release."""

from __future__ import annotations

from sunbid.cli.opening import _Hall

RELEASE = [{"type": "sign_in"}, {"type": "release", "identity": "AGE-SECRET-KEY-1..."}]


def _message(seq: int, kind: str) -> dict[str, object]:
    return {"type": "message", "seq": seq, "kind": kind, "data": {}}


def test_requests_wait_for_the_opening_to_start() -> None:
    hall = _Hall(RELEASE, "bid.decrypted")
    assert not hall.ready({"type": "welcome", "status": "waiting", "last_seq": 3})
    assert not hall.ready(_message(2, "host.announcement"))
    assert hall.ready(_message(4, "opening.started"))


def test_a_replayed_start_does_not_send_twice_and_a_running_opening_sends_at_once() -> None:
    hall = _Hall(RELEASE, "release")
    assert hall.ready({"type": "welcome", "status": "decrypting", "last_seq": 9})
    hall.sent = True
    assert not hall.ready(_message(1, "opening.started"))


def test_a_replayed_decryption_of_another_lot_does_not_end_a_release() -> None:
    hall = _Hall(RELEASE, "bid.decrypted")
    hall.ready({"type": "welcome", "status": "decrypting", "last_seq": 9})
    hall.sent = True
    assert not hall.done(_message(7, "bid.decrypted"))
    assert hall.done(_message(10, "bid.decrypted"))


def test_until_the_release_reply() -> None:
    hall = _Hall(RELEASE, "release")
    assert hall.done({"type": "reply", "for": "release", "ok": True, "result": {}})
    assert not hall.done({"type": "reply", "for": "sign_in", "ok": True, "result": {}})


def test_without_requests_a_replayed_message_counts() -> None:
    hall = _Hall([], "opening.started")
    assert not hall.ready({"type": "welcome", "status": "decrypting", "last_seq": 9})
    assert hall.done(_message(1, "opening.started"))
