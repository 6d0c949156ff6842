"""The committed CIFAR-10 fixture that tests/realdata.py reads."""

from __future__ import annotations

import pytest
from realdata import CLASSES, FIXTURE, cifar_jpegs


def test_the_fixture_holds_20_train_and_10_test_jpegs_per_class() -> None:
    data = cifar_jpegs(20, 10)
    assert set(data) == {"train", "test"} and set(data["train"]) == set(CLASSES)
    assert {len(v) for v in data["train"].values()} == {20}
    assert {len(v) for v in data["test"].values()} == {10}
    assert all(b.startswith(b"\xff\xd8") for s in data.values() for v in s.values() for b in v)
    assert len((FIXTURE / "SOURCES.txt").read_text().splitlines()) == 300


@pytest.mark.parametrize(("train", "test"), [(21, 1), (1, 11)])
def test_asking_for_more_than_the_fixture_holds_is_a_clear_error(train: int, test: int) -> None:
    with pytest.raises(ValueError, match="holds 20 train and 10 test images per class"):
        cifar_jpegs(train, test)
