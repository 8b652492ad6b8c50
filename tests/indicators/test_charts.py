"""Chart geometry: p-chart limits and flags, funnel limits, ranking within a level (no database)."""

from decimal import Decimal, localcontext

from hypothesis import given
from hypothesis import strategies as st

from indicators import charts

D = Decimal


def test_p_chart_centre_is_pooled_and_a_far_month_is_flagged() -> None:
    counts = {m: (90, 100) for m in range(1, 13)}
    counts[7] = (50, 100)
    chart = charts.p_chart(counts, unit="percent")
    assert chart.centre == D(1040) * 100 / D(1200)
    assert [p.month for p in chart.outside] == [7]
    seven = chart.points[6]
    assert seven.value == D(50)
    assert seven.lower is not None and seven.upper is not None
    assert seven.lower < chart.centre < seven.upper
    assert not chart.points[0].out


def test_p_chart_limits_follow_each_months_denominator_and_clip_to_the_scale() -> None:
    chart = charts.p_chart({1: (0, 2), 2: (2, 1000)}, unit="percent")
    wide, narrow = chart.points[0], chart.points[1]
    assert wide.lower == D(0)  # p̄ − 3σ is negative at n = 2: clipped to 0%
    assert wide.upper is not None and narrow.upper is not None and narrow.lower == D(0)
    assert narrow.upper < wide.upper


def test_p_chart_missing_and_empty_months_have_no_point() -> None:
    chart = charts.p_chart({3: (0, 0), 4: (1, 10)}, unit="permille")
    assert chart.points[2].value is None and chart.points[0].value is None
    assert chart.points[3].value == D(100)  # 1/10 in ‰
    assert chart.centre == D(100)
    assert charts.p_chart({}, unit="percent").centre is None


def test_p_chart_has_no_limits_for_a_ratio() -> None:
    chart = charts.p_chart({1: (5, 2)}, unit="ratio")
    assert chart.points[0].value == D("2.5") and chart.points[0].lower is None and not chart.outside


@given(st.dictionaries(st.integers(1, 12), st.tuples(st.integers(0, 500), st.integers(1, 500)), min_size=1))
def test_p_chart_limits_bracket_the_centre_within_the_scale(raw: dict[int, tuple[int, int]]) -> None:
    counts = {m: (min(n, d), d) for m, (n, d) in raw.items()}
    chart = charts.p_chart(counts, unit="percent")
    assert chart.centre is not None
    for p in chart.points:
        if p.value is None:
            continue
        assert p.lower is not None and p.upper is not None
        assert D(0) <= p.lower <= chart.centre <= p.upper <= D(100)
        assert p.out == (p.value < p.lower or p.value > p.upper)


def test_funnel_99_8_is_wider_than_95_and_narrows_with_n() -> None:
    small, large = charts.funnel(D("0.5"), [30, 3000], unit="percent")
    assert small.low998 < small.low95 < D(50) < small.high95 < small.high998
    assert large.high95 - large.low95 < small.high95 - small.low95
    half = D("1.96") * (D("0.25") / D(3000)).sqrt() * 100
    assert abs(large.high95 - (D(50) + half)) < D("1e-20")


@given(st.decimals(min_value=0, max_value=1, places=3), st.integers(1, 100_000))
def test_funnel_limits_stay_within_the_scale(p0: Decimal, n: int) -> None:
    (lim,) = charts.funnel(p0, [n], unit="permille")
    assert D(0) <= lim.low998 <= lim.low95 <= p0 * 1000 <= lim.high95 <= lim.high998 <= D(1000)


def test_funnel_band_names_the_widest_limit_crossed() -> None:
    (lim,) = charts.funnel(D("0.5"), [100], unit="percent")
    assert charts.funnel_band(D(50), lim) == "inside"
    assert charts.funnel_band(D(39), lim) == "95"  # 1.96·5 = 9.8 → 40.2; 3.09·5 = 15.45 → 34.55
    assert charts.funnel_band(D(30), lim) == "99.8"


def test_funnel_ns_runs_from_one_to_the_largest() -> None:
    ns = charts.funnel_ns(5000)
    assert ns[0] == 1 and ns[-1] == 5000 and ns == sorted(set(ns))
    assert charts.funnel_ns(0) == []


def test_higher_is_better_ranks_the_highest_first_with_percentiles() -> None:
    ranks = charts.rank({"a": D(95), "b": D(90), "c": D(99), "d": None}, direction="higher")
    assert {k: (r.rank, r.percentile) for k, r in ranks.items()} == {"c": (1, 100), "a": (2, 50), "b": (3, 0)}
    assert ranks["a"].of == 3


def test_lower_is_better_ranks_the_lowest_first_and_ties_share_a_rank() -> None:
    ranks = charts.rank({"a": D(1), "b": D(3), "c": D(1), "d": D(2)}, direction="lower")
    assert {k: r.rank for k, r in ranks.items()} == {"a": 1, "c": 1, "d": 3, "b": 4}
    assert ranks["b"].percentile == 0 and ranks["a"].percentile == 100


def test_a_lone_hospital_is_first_at_the_hundredth_percentile() -> None:
    assert charts.rank({"a": D(5)}, direction="lower")["a"] == charts.Rank(1, 1, D(100))


@given(st.decimals(min_value=0, max_value=1, places=6), st.lists(st.integers(1, 10_000_000), min_size=1, max_size=5))
def test_funnel_takes_one_root_per_denominator_and_gives_the_digits_of_each_limit_on_its_own(
    p0: Decimal, ns: list[int]
) -> None:
    # One call for a whole level, one square root per n: the same digits as each limit taken by itself.
    for lim, n in zip(charts.funnel(p0, ns, unit="percent"), ns, strict=True):
        lo95, hi95 = charts._limits(p0, n, charts.Z95)
        lo998, hi998 = charts._limits(p0, n, charts.Z998)
        assert (lim.n, lim.low95, lim.high95, lim.low998, lim.high998) == (
            n,
            lo95 * 100,
            hi95 * 100,
            lo998 * 100,
            hi998 * 100,
        )


@given(
    st.dictionaries(st.integers(0, 900), st.none() | st.decimals(0, 100, places=1), max_size=60),
    st.sampled_from(["higher", "lower"]),
)
def test_ranks_are_competition_ranks_of_the_values_present(values: dict[int, Decimal | None], direction: str) -> None:
    # The definition, written the slow way: the place of the first equal value in the sorted list.
    present = {k: v for k, v in values.items() if v is not None}
    ordered = sorted(present.values(), reverse=direction != "lower")
    ranks = charts.rank(values, direction=direction)
    assert set(ranks) == set(present)
    for key, value in present.items():
        place = ordered.index(value) + 1
        assert (ranks[key].rank, ranks[key].of) == (place, len(ordered))
        with localcontext() as ctx:
            ctx.prec = 34
            expected = D(100) if len(ordered) == 1 else D(100 * (len(ordered) - place)) / D(len(ordered) - 1)
        assert ranks[key].percentile == expected
