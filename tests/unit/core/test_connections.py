"""Pool sizes per server process fit the database's max_connections, or `serve` refuses with the numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.connections import (
    DEDICATED,
    HEADROOM,
    MIN_DRIVER,
    MIN_ORM,
    ConnectionBudgetTooSmall,
    PoolSizes,
    pool_sizes,
)


def test_one_worker_gets_the_pools_it_asks_for_on_a_default_server() -> None:
    assert pool_sizes(100, 3, 1) == PoolSizes()


def test_two_workers_on_a_default_server_get_smaller_pools_that_fit() -> None:
    pools = pool_sizes(100, 3, 2)
    assert pools == PoolSizes(orm_pool=10, orm_overflow=18, driver=13)
    assert 2 * pools.per_process + 3 + HEADROOM <= 100


def test_shrunk_pools_keep_within_what_the_operator_asked() -> None:
    assert pool_sizes(100, 3, 4, PoolSizes(10, 0, 16)) == PoolSizes(10, 0, 9)
    assert pool_sizes(100, 3, 2, PoolSizes(2, 0, 40)) == PoolSizes(2, 0, 39)


def test_too_many_workers_are_refused_with_the_numbers() -> None:
    with pytest.raises(ConnectionBudgetTooSmall, match=r"allows 100 connections .* 64 server processes need at least"):
        pool_sizes(100, 3, 64)


@given(
    max_connections=st.integers(20, 5000),
    reserved=st.integers(0, 10),
    workers=st.integers(1, 64),
    wanted=st.builds(PoolSizes, st.integers(1, 40), st.integers(0, 40), st.integers(1, 64)),
)
def test_pools_never_exceed_the_server_or_what_was_asked(
    max_connections: int, reserved: int, workers: int, wanted: PoolSizes
) -> None:
    try:
        pools = pool_sizes(max_connections, reserved, workers, wanted)
    except ConnectionBudgetTooSmall:
        assert workers * (MIN_ORM + MIN_DRIVER + DEDICATED) + reserved + HEADROOM > max_connections
        return
    if pools == wanted:
        assert workers * wanted.per_process + reserved + HEADROOM <= max_connections
        return
    assert workers * pools.per_process + reserved + HEADROOM <= max_connections
    assert pools.driver <= wanted.driver
    assert pools.orm_pool <= wanted.orm_pool
    assert pools.orm_pool + pools.orm_overflow <= wanted.orm_pool + wanted.orm_overflow
    assert pools.orm_pool + pools.orm_overflow >= min(MIN_ORM, wanted.orm_pool + wanted.orm_overflow)
    assert pools.driver >= min(MIN_DRIVER, wanted.driver)
