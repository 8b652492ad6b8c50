"""Pure parts of reports, no database: the distribution chart's geometry, canonical JSON, CSS strings."""

from decimal import Decimal

from reports import charts, content, rendering

THRESHOLDS = {"三级甲等": Decimal(850), "三级乙等": Decimal(800), "二级甲等": Decimal(700), "二级乙等": Decimal(600)}


def test_totals_fall_into_fifty_point_bands_from_the_lowest_threshold() -> None:
    chart = charts.score_histogram(
        [Decimal("982.75"), Decimal("1000"), Decimal("850"), Decimal("849.5"), Decimal("420")],
        thresholds=THRESHOLDS,
        max_total=Decimal(1000),
    )
    assert [(b["label"], b["count"]) for b in chart["bars"]] == [
        ("<600", 1),
        ("600–650", 0),
        ("650–700", 0),
        ("700–750", 0),
        ("750–800", 0),
        ("800–850", 1),
        ("850–900", 1),
        ("900–950", 0),
        ("950–1000", 2),
    ]
    assert chart["n"] == 5


def test_threshold_lines_stand_on_the_band_edges_and_bars_grow_with_counts() -> None:
    chart = charts.score_histogram([Decimal(860)] * 3 + [Decimal(610)], thresholds=THRESHOLDS, max_total=Decimal(1000))
    bars = chart["bars"]
    edges = {line["label"]: line["x"] for line in chart["lines"]}
    slot = bars[1]["x"] - bars[0]["x"]
    assert edges["二级乙等 600"] == bars[1]["x"] - 3  # the edge between "<600" and "600–650"
    assert edges["三级甲等 850"] == bars[0]["x"] - 3 + 6 * slot
    tall, short = bars[6], bars[1]  # 850–900 holds three, 600–650 one
    assert tall["h"] == 3 * short["h"] and tall["y"] < short["y"]
    assert all(isinstance(v, int) for b in bars for k, v in b.items() if k not in ("label",))


def test_an_empty_round_still_draws_axes() -> None:
    chart = charts.score_histogram([], thresholds=THRESHOLDS, max_total=Decimal(1000))
    assert all(b["count"] == 0 and b["h"] == 0 for b in chart["bars"])
    assert chart["ticks"][0]["label"] == "0"


def test_the_content_checksum_ignores_key_order_and_sees_every_value() -> None:
    a = {"total": "982.75", "hospital": {"name": "甲医院", "level": "三级甲等"}, "remarks": ["<b>x</b>"]}
    b = {"remarks": ["<b>x</b>"], "hospital": {"level": "三级甲等", "name": "甲医院"}, "total": "982.75"}
    assert content.canonical_json(a) == content.canonical_json(b)
    assert content.content_sha256(a) == content.content_sha256(b)
    assert content.content_sha256(a) != content.content_sha256({**a, "total": "982.5"})
    assert "甲医院".encode() in content.canonical_json(a)  # UTF-8, not \\u escapes


def test_css_strings_cannot_close_the_style_element() -> None:
    text = rendering.css_string('甲医院" } </style><script>x</script>\n')
    assert text.startswith('"') and text.endswith('"')
    assert "<" not in text and ">" not in text and '"' not in text[1:-1] and "\n" not in text
    assert rendering.page_counter_css("第 {page} 页 共 {pages} 页") == (
        '"第 " counter(page) " 页 共 " counter(pages) " 页"'
    )
