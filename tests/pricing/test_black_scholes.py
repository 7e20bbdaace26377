"""Black–Scholes prices and greeks against textbook values, parity, limits and bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from alphaforge.domain.errors import InvalidValueError
from alphaforge.pricing import (
    bs_delta,
    bs_gamma,
    bs_greeks,
    bs_price,
    bs_rho,
    bs_theta,
    bs_vega,
)


def test_hull_example_15_6_call_and_put() -> None:
    """Hull (Options, Futures, and Other Derivatives), Example 15.6: S=42, K=40, r=10 %,
    sigma=20 %, T=0.5: call 4.76, put 0.81."""
    assert bs_price(42.0, 40.0, 0.5, 0.2, rate=0.1, kind="call") == pytest.approx(4.76, abs=5e-3)
    assert bs_price(42.0, 40.0, 0.5, 0.2, rate=0.1, kind="put") == pytest.approx(0.81, abs=5e-3)


def test_hull_chapter_19_greeks_of_a_call() -> None:
    """Hull, ch. 19 running example: S=49, K=50, r=5 %, sigma=20 %, T=20 weeks (0.3846):
    price 2.40, delta 0.522, gamma 0.066, vega 12.1, theta -4.31 a year, rho 8.91."""
    args = (49.0, 50.0, 0.3846, 0.2, 0.05, 0.0, "call")
    assert bs_price(*args) == pytest.approx(2.40, abs=5e-3)
    assert bs_delta(*args) == pytest.approx(0.522, abs=5e-4)
    assert bs_gamma(*args) == pytest.approx(0.066, abs=5e-4)
    assert bs_vega(*args) == pytest.approx(12.1, abs=0.05)
    assert bs_theta(*args) == pytest.approx(-4.31, abs=5e-3)
    assert bs_rho(*args) == pytest.approx(8.91, abs=5e-3)


def test_hull_example_17_1_index_option_with_dividend_yield() -> None:
    """Hull, Example 17.1: index call, S=930, K=900, r=8 %, q=3 %, sigma=20 %, 2 months: 51.83."""
    price = bs_price(930.0, 900.0, 2 / 12, 0.2, rate=0.08, div=0.03, kind="call")
    assert price == pytest.approx(51.83, abs=5e-3)


def test_put_call_parity_holds_on_a_grid() -> None:
    rng = np.random.default_rng(7)
    s = rng.uniform(50, 150, 200)
    k = rng.uniform(50, 150, 200)
    t = rng.uniform(0.01, 2.0, 200)
    v = rng.uniform(0.05, 0.8, 200)
    r = rng.uniform(-0.01, 0.08, 200)
    q = rng.uniform(0.0, 0.05, 200)
    call = np.asarray(bs_price(s, k, t, v, r, q, "call"))
    put = np.asarray(bs_price(s, k, t, v, r, q, "put"))
    np.testing.assert_allclose(call - put, s * np.exp(-q * t) - k * np.exp(-r * t), atol=1e-9)
    dc = np.asarray(bs_delta(s, k, t, v, r, q, "call"))
    dp = np.asarray(bs_delta(s, k, t, v, r, q, "put"))
    np.testing.assert_allclose(dc - dp, np.exp(-q * t), atol=1e-12)


def test_greeks_match_finite_differences() -> None:
    base = {"spot": 100.0, "strike": 105.0, "t": 0.25, "vol": 0.3, "rate": 0.02, "div": 0.01}
    h = 1e-4

    def bump(fn: object, kind: str, name: str) -> float:
        up = fn(**{**base, name: base[name] + h}, kind=kind)  # type: ignore[operator]
        down = fn(**{**base, name: base[name] - h}, kind=kind)  # type: ignore[operator]
        return float((up - down) / (2 * h))

    for kind in ("call", "put"):
        g = bs_greeks(**base, kind=kind)  # type: ignore[arg-type]
        assert g.delta == pytest.approx(bump(bs_price, kind, "spot"), rel=1e-6)
        assert g.gamma == pytest.approx(bump(bs_delta, kind, "spot"), rel=1e-6)
        assert g.vega == pytest.approx(bump(bs_price, kind, "vol"), rel=1e-6)
        assert g.theta == pytest.approx(-bump(bs_price, kind, "t"), rel=1e-6)
        assert g.rho == pytest.approx(bump(bs_price, kind, "rate"), rel=1e-6)


def test_at_expiry_the_price_is_the_payoff() -> None:
    spots = np.array([90.0, 100.0, 110.0])
    np.testing.assert_allclose(bs_price(spots, 100.0, 0.0, 0.2, kind="call"), [0, 0, 10])
    np.testing.assert_allclose(bs_price(spots, 100.0, 0.0, 0.2, kind="put"), [10, 0, 0])
    np.testing.assert_allclose(bs_delta(spots, 100.0, 0.0, 0.2, kind="call"), [0, 0.5, 1])
    np.testing.assert_allclose(bs_delta(spots, 100.0, 0.0, 0.2, kind="put"), [-1, -0.5, 0])
    assert np.all(np.asarray(bs_gamma(spots, 100.0, 0.0, 0.2)) == 0.0)


def test_scalars_give_floats_and_arrays_broadcast() -> None:
    assert isinstance(bs_price(100.0, 100.0, 0.1, 0.2), float)
    out = bs_price(100.0, np.array([90.0, 100.0, 110.0]), 0.1, 0.2)
    assert isinstance(out, np.ndarray)
    assert out.shape == (3,)
    assert np.all(np.diff(out) < 0)  # a higher strike is a cheaper call


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"spot": -1.0}, r"spot must be finite and > 0; got -1\.0"),
        ({"strike": np.array([100.0, np.nan])}, r"strike must be finite and > 0.*index \(1,\)"),
        ({"t": -0.1}, r"t must be finite and >= 0"),
        ({"vol": 0.0}, r"vol must be finite and > 0"),
        ({"rate": np.inf}, r"rate must be finite"),
        ({"kind": "cal"}, r"kind must be 'call' or 'put', got 'cal'; did you mean 'call'"),
        ({"spot": "abc"}, r"spot must be a number"),
    ],
)
def test_bad_inputs_are_named(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"spot": 100.0, "strike": 100.0, "t": 0.5, "vol": 0.2}
    args.update(kwargs)
    with pytest.raises(InvalidValueError, match=message):
        bs_price(**args)  # type: ignore[arg-type]
