"""The collector paused over the sizing and the scoring, and back to what it was after."""

from __future__ import annotations

import gc

import pytest

from llmdecide import gcpause


def test_paused_restores_the_collector_even_on_error() -> None:
    assert gc.isenabled()
    with gcpause.paused():
        assert not gc.isenabled()
        with gcpause.paused():  # nested: the inner block leaves it off
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), gcpause.paused():
        raise ValueError
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off() -> None:
    gc.disable()
    try:
        with gcpause.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_while_paused_runs_the_function_with_the_collector_off() -> None:
    @gcpause.while_paused
    def state(x: int) -> tuple[int, bool]:
        return x + 1, gc.isenabled()

    assert state(1) == (2, False)
    assert gc.isenabled()
