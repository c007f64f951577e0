"""Feature parsing: Chinese units and formats become numbers a model can use."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pandas as pd
import pytest

from autofin.risk.modelling.features import (
    DataProblem,
    describe_value,
    infer_schema,
    parse_engine,
    parse_wan,
    parse_year_month_age,
    read_csv,
    target_scale,
    transform,
)

REF = "2023-12-01"


def test_wan_yuan_amounts_become_yuan() -> None:
    values = pd.Series(["21.0", "34.28万", "5万元", None])
    assert parse_wan(values).tolist()[:3] == pytest.approx([210_000, 342_800, 50_000])
    assert np.isnan(parse_wan(values).iloc[3])


def test_wan_km_distances_become_km() -> None:
    assert parse_wan(pd.Series(["4.3万公里", "13"])).tolist() == pytest.approx([43_000, 130_000])


def test_year_month_registration_becomes_age_in_years() -> None:
    ages = parse_year_month_age(pd.Series(["2019-11", "2023年06月", "2023-12", "garbage"]), REF)
    assert ages.iloc[0] == pytest.approx(4 + 1 / 12)
    assert ages.iloc[1] == pytest.approx(0.5)
    assert ages.iloc[2] == pytest.approx(0.0)
    assert np.isnan(ages.iloc[3])


def test_engine_text_splits_into_litres_range_turbo_and_electric_flag() -> None:
    parsed = parse_engine(pd.Series(["1.5T", "2.0L", "520km", "km", "??"]))
    assert parsed["litres"].tolist()[:2] == [1.5, 2.0]
    assert parsed["turbo"].tolist()[:3] == [1.0, 0.0, 0.0]
    assert parsed["range_km"].iloc[2] == 520
    assert parsed["electric"].tolist()[:4] == [0.0, 0.0, 1.0, 1.0]
    assert np.isnan(parsed["range_km"].iloc[3])  # an EV listing without its range is still electric
    assert parsed.iloc[4].isna().all()


def che168_like() -> pd.DataFrame:
    rows = 60
    return pd.DataFrame({
        "编号": [f"C{i:04d}" for i in range(rows)],
        "车名": [f"奔驰C级 {2015 + i % 8}款 C 200 L 型号{i}" for i in range(rows)],
        "里程数": [str(1 + i % 9) for i in range(rows)],
        "年份": [f"{2015 + i % 8}-0{1 + i % 9}" for i in range(rows)],
        "售价": [str(10 + i) for i in range(rows)],
        "原价": [str(30 + i) for i in range(rows)],
        "排量/续航": ["1.5T" if i % 3 else "520km" for i in range(rows)],
        "发布时间": ["2023-12-01" if i == 0 else "2023-08-15" for i in range(rows)],
        "变速箱": ["自动" if i % 4 else "手动" for i in range(rows)],
    })


def test_schema_of_a_chinese_listing_file_parses_every_format() -> None:
    schema = infer_schema(che168_like(), target="售价", id_column="编号", today=date(2026, 11, 24))
    parsers = {f.name: f.parser for f in schema.features}
    assert schema.reference_date == "2023-12-01"  # the latest listing date, not today
    assert parsers["原价:yuan"] == "wan"
    assert parsers["里程数:km"] == "wan"
    assert parsers["年份:age_years"] == "year_month_age"
    assert parsers["排量/续航:engine_litres"] == "engine_litres"
    assert parsers["排量/续航:electric"] == "engine_electric"
    assert parsers["车名:model_year_age"] == "model_year_age"
    assert parsers["车名:first_word"] == "first_word"
    assert parsers["变速箱"] == "category"
    assert "编号" not in parsers and schema.dropped["编号"] == "id column"
    matrix = transform(che168_like(), schema)
    assert matrix[0, schema.names.index("原价:yuan")] == 300_000
    assert target_scale("售价", che168_like()["售价"]) == 10_000


def test_id_like_columns_are_never_features_and_drop_removes_leaks() -> None:
    frame = pd.DataFrame({"UniqueID": range(100), "x": [i % 7 for i in range(100)],
                          "code": [f"A{i:03d}" for i in range(100)],
                          "leak": [i % 2 for i in range(100)], "y": [i % 2 for i in range(100)]})
    schema = infer_schema(frame, target="y", drop=["leak"])
    assert schema.names == ["x"]
    assert schema.dropped == {"UniqueID": "id-like (a different value on every row)",
                              "code": "id-like (a different value on every row)", "leak": "dropped on request"}


def test_schema_survives_a_json_round_trip() -> None:
    from autofin.risk.modelling.features import FeatureSchema

    schema = infer_schema(che168_like(), target="售价", today=date(2026, 11, 24))
    again = FeatureSchema.from_json(schema.to_json())
    assert np.array_equal(transform(che168_like(), again), transform(che168_like(), schema), equal_nan=True)


def test_unknown_categories_and_missing_values_become_missing() -> None:
    schema = infer_schema(che168_like(), target="售价", today=date(2026, 11, 24))
    new = che168_like().head(1).assign(变速箱="双离合", 原价=None)
    matrix = transform(new, schema)
    assert np.isnan(matrix[0, schema.names.index("变速箱")])
    assert np.isnan(matrix[0, schema.names.index("原价:yuan")])


def test_naming_a_column_that_does_not_exist_is_refused_with_its_name() -> None:
    with pytest.raises(DataProblem, match="nope"):
        infer_schema(che168_like(), target="nope")


def test_scoring_data_without_the_model_columns_is_refused_naming_them() -> None:
    schema = infer_schema(che168_like(), target="售价", today=date(2026, 11, 24))
    with pytest.raises(DataProblem, match="原价"):
        transform(che168_like().drop(columns=["原价"]), schema)


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(DataProblem, match="empty"):
        read_csv(io.BytesIO(b""))
    with pytest.raises(DataProblem, match="no data rows"):
        read_csv(io.BytesIO(b"a,b\n"))


def test_values_are_described_as_people_read_them() -> None:
    from autofin.risk.modelling.features import Feature

    assert describe_value(Feature("s", "s", "numeric", "number"), 0.0) == "0"
    assert describe_value(Feature("s", "s", "numeric", "number"), float("nan")) == "missing"
    assert describe_value(Feature("e", "e", "categorical", "category", ["Salaried"]), 0.0) == "Salaried"


def test_the_one_row_fast_path_parses_exactly_like_the_column_path() -> None:
    from autofin.risk.modelling.features import transform_record

    frame = che168_like()
    frame.loc[3, "原价"] = None
    frame.loc[4, "变速箱"] = "双离合"
    schema = infer_schema(frame, target="售价", today=date(2026, 11, 24))
    columns = transform(frame, schema)
    for i, record in enumerate(frame.to_dict("records")):
        assert np.allclose(transform_record(record, schema)[0], columns[i], equal_nan=True)
