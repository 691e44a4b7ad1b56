"""The opening reads out only what it can: a package sealed by any client is checked down to its opening sheet."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from bidding.opening.decrypt import DecryptFailed, open_sealed
from signing.envelope import generate_identity
from signing.sealed_bid import PACKAGE_FORMAT, seal_package, write_package

GOOD_SHEET = {"price": "11800000.00", "duration_days": 365, "quality": "合格"}


def _sealed(tmp_path: Path, sheet: Any) -> tuple[Path, str]:
    """A real age-sealed package whose manifest carries `sheet`, as another client might have written it."""
    identity = generate_identity()
    manifest = {"format": PACKAGE_FORMAT, "tender": "t", "lot": 1, "bidder": "b", "opening_sheet": sheet, "files": []}
    package = io.BytesIO()
    write_package(manifest, [], package)
    package.seek(0)
    sealed = tmp_path / "bid.age"
    with sealed.open("wb") as out:
        seal_package(package, out, [identity.recipient])
    return sealed, identity.secret


def test_a_well_formed_sheet_opens(tmp_path: Path) -> None:
    sealed, identity = _sealed(tmp_path, GOOD_SHEET)
    opened = open_sealed(str(sealed), identity, str(tmp_path / "opened" / "bid.tar"))
    assert opened.manifest["opening_sheet"] == GOOD_SHEET
    assert Path(opened.package).is_file()


@pytest.mark.parametrize(
    ("sheet", "named"),
    [
        ({**GOOD_SHEET, "price": "abc"}, "price 'abc'"),
        ({**GOOD_SHEET, "price": "-5"}, "price '-5'"),
        ({**GOOD_SHEET, "price": "1e3"}, "price '1e3'"),
        ({**GOOD_SHEET, "price": "0.00"}, "price '0.00'"),
        ({**GOOD_SHEET, "price": "1.005"}, "price '1.005'"),
        ({**GOOD_SHEET, "price": 11800000.5}, "price 11800000.5 is not a string"),
        ({**GOOD_SHEET, "duration_days": "365"}, "duration '365'"),
        ({**GOOD_SHEET, "duration_days": 0}, "duration 0"),
        ({**GOOD_SHEET, "duration_days": True}, "duration True"),
        ({**GOOD_SHEET, "quality": "  "}, "quality commitment is empty"),
        ({**GOOD_SHEET, "quality": 1}, "quality 1 is not text"),
        ({"price": "1.00", "duration_days": 1}, "lacks quality"),
        ({**GOOD_SHEET, "discount": "5%"}, "unknown fields 'discount'"),
        (["11800000.00", 365, "合格"], "no opening sheet"),
    ],
)
def test_a_sheet_that_cannot_be_read_out_fails_the_decryption_naming_why(
    tmp_path: Path, sheet: Any, named: str
) -> None:
    sealed, identity = _sealed(tmp_path, sheet)
    target = tmp_path / "opened" / "bid.tar"
    with pytest.raises(DecryptFailed) as caught:
        open_sealed(str(sealed), identity, str(target))
    assert caught.value.reason.startswith("the opening sheet cannot be read out: ")
    assert named in caught.value.reason
    assert not caught.value.wrong_key
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_a_long_value_from_another_client_is_cut_short_in_the_reason(tmp_path: Path) -> None:
    sealed, identity = _sealed(tmp_path, {**GOOD_SHEET, "price": "9" * 5000 + "\n" + "x" * 5000})
    with pytest.raises(DecryptFailed) as caught:
        open_sealed(str(sealed), identity, str(tmp_path / "opened" / "bid.tar"))
    assert "price '9999" in caught.value.reason
    assert len(caught.value.reason) < 250
    assert "\n" not in caught.value.reason


@pytest.mark.parametrize("members", [["files/a.txt", "a.txt"], ["files/a.txt", "files/a.txt"], ["files/x/a.txt"]])
def test_a_file_outside_files_or_twice_fails_the_decryption(tmp_path: Path, members: list[str]) -> None:
    """What the evaluation serves must be the very member whose hash was checked: one name, under files/."""
    import hashlib
    import tarfile

    content = b"technical offer"
    name = members[-1].rsplit("/", 1)[-1]
    manifest = {
        "format": PACKAGE_FORMAT,
        "tender": "t",
        "lot": 1,
        "bidder": "b",
        "opening_sheet": GOOD_SHEET,
        "files": [{"name": name, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}],
    }
    package = io.BytesIO()
    with tarfile.open(fileobj=package, mode="w", format=tarfile.PAX_FORMAT) as tar:
        body = json.dumps(manifest).encode()
        for member, data in [("manifest.json", body), *[(m, content) for m in members]]:
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    package.seek(0)
    identity = generate_identity()
    sealed = tmp_path / "bid.age"
    with sealed.open("wb") as out:
        seal_package(package, out, [identity.recipient])
    with pytest.raises(DecryptFailed, match="outside files/ or twice"):
        open_sealed(str(sealed), identity.secret, str(tmp_path / "opened" / "bid.tar"))
