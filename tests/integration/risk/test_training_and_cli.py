"""Training on small real samples, saving and loading, and the command-line contract (exit 2 on bad data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from autofin.cli import app
from autofin.risk.modelling.artifacts import load_credit, load_valuation, save_credit, save_valuation
from autofin.risk.modelling.credit import train_credit
from autofin.risk.modelling.features import read_csv
from autofin.risk.modelling.valuation import train_valuation

DATA = Path(__file__).resolve().parents[2] / "data" / "risk"
LT = DATA / "lt_sample.csv"
CHE = DATA / "che168_sample.csv"
runner = CliRunner()


@pytest.fixture(scope="module")
def credit_model():  # type: ignore[no-untyped-def]
    return train_credit(read_csv(LT), target="loan_default", id_column="UniqueID", max_rounds=60, early_stopping=20)


def test_the_pd_model_and_scorecard_are_measured_on_held_out_rows(credit_model) -> None:  # type: ignore[no-untyped-def]
    metrics = credit_model.metrics
    assert metrics["split"]["held_out"] == 160
    assert metrics["pd"]["rows"] == 160 and metrics["scorecard"]["rows"] == 160
    assert metrics["pd"]["auc"] > 0.6 and metrics["scorecard"]["auc"] > 0.6
    assert len(metrics["pd"]["lift"]) == 10 and len(metrics["pd"]["calibration"]) == 10


def test_reasons_name_the_feature_and_the_applicants_value_in_both_languages(credit_model) -> None:  # type: ignore[no-untyped-def]
    frame = read_csv(LT).head(30)
    scored = credit_model.score_frame(frame)
    assert list(scored.columns) == ["UniqueID", "pd", "score", "grade", "reasons", "reasons_zh"]
    assert scored["pd"].between(0, 1).all()
    assert set(scored["grade"]) <= set("ABCDE")
    reasons = [r for r in scored["reasons"] if r]
    assert reasons and all("=" in r for r in reasons)
    assert any("（" in r for r in scored["reasons_zh"] if r)


def test_a_saved_credit_model_scores_exactly_like_the_trained_one(credit_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    save_credit(credit_model, tmp_path / "m")
    assert (tmp_path / "m" / "pd_model.txt").is_file() and (tmp_path / "m" / "scorecard.json").is_file()
    frame = read_csv(LT).head(50)
    pd.testing.assert_frame_equal(load_credit(tmp_path / "m").score_frame(frame), credit_model.score_frame(frame))


def test_the_valuation_model_learns_che168_prices_in_yuan_with_an_interval(tmp_path: Path) -> None:
    frame = read_csv(CHE)
    model = train_valuation(frame, target="售价", max_rounds=300, early_stopping=30)
    assert model.schema.target_scale == 10_000
    assert model.metrics["mape"] < 0.35
    assert {"brand", "powertrain", "age"} <= set(model.metrics["segments"])
    save_valuation(model, tmp_path / "v")
    predicted = load_valuation(tmp_path / "v").predict_frame(frame.head(20))
    assert (predicted["low"] <= predicted["predicted"]).all() and (predicted["predicted"] <= predicted["high"]).all()
    listed = pd.to_numeric(frame.head(20)["售价"]) * 10_000
    ok = listed.notna()
    assert np.median(np.abs(predicted["predicted"][ok] / listed[ok] - 1)) < 0.3


def test_an_appraiser_values_one_car_through_the_vehicles_entry_as_the_batch_would(tmp_path: Path) -> None:
    from autofin.vehicles.valuation import estimate_value

    frame = read_csv(CHE)
    save_valuation(train_valuation(frame, target="售价", max_rounds=200, early_stopping=20), tmp_path / "v")
    batch = load_valuation(tmp_path / "v").predict_frame(frame.head(1)).iloc[0]
    car = {key: str(value) for key, value in frame.iloc[0].items() if key != "售价"}
    car["plate_colour"] = "blue"  # a field the model does not know is ignored
    value = estimate_value(str(tmp_path / "v"), car)
    assert value["low"] <= value["predicted"] <= value["high"]
    assert value["predicted"] == pytest.approx(batch["predicted"])  # yuan, as the batch gives it
    assert value["missing_inputs"] == []


def test_cli_trains_and_scores_credit_and_valuation(tmp_path: Path) -> None:
    result = runner.invoke(app, ["risk", "train", "--data", str(LT), "--target", "loan_default", "--id", "UniqueID",
                                 "--out", str(tmp_path / "pd"), "--max-rounds", "40"])
    assert result.exit_code == 0, result.output
    assert "AUC" in result.output and "Scorecard" in result.output
    result = runner.invoke(app, ["risk", "score", "--model", str(tmp_path / "pd"), "--data", str(LT),
                                 "--out", str(tmp_path / "scores.csv")])
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert len(scores) == 800 and {"UniqueID", "pd", "score", "grade", "reasons"} <= set(scores.columns)
    result = runner.invoke(app, ["valuation", "train", "--data", str(CHE), "--target", "售价", "--out",
                                 str(tmp_path / "val"), "--max-rounds", "100"])
    assert result.exit_code == 0, result.output
    assert "MAPE" in result.output
    result = runner.invoke(app, ["valuation", "predict", "--model", str(tmp_path / "val"), "--data", str(CHE),
                                 "--out", str(tmp_path / "prices.csv")])
    assert result.exit_code == 0, result.output
    prices = pd.read_csv(tmp_path / "prices.csv")
    assert list(prices.columns) == ["row", "predicted", "low", "high"] and len(prices) == 600


def _train(args: list[str]) -> tuple[int, str]:
    result = runner.invoke(app, ["risk", "train", *args])
    return result.exit_code, result.output


def test_cli_exits_2_naming_an_unknown_target_column(tmp_path: Path) -> None:
    code, output = _train(["--data", str(LT), "--target", "no_such_column", "--out", str(tmp_path / "x")])
    assert code == 2 and "no_such_column" in output


def test_cli_exits_2_naming_an_unknown_dropped_column(tmp_path: Path) -> None:
    code, output = _train(["--data", str(LT), "--target", "loan_default", "--drop", "ltv,bogus",
                           "--out", str(tmp_path / "x")])
    assert code == 2 and "bogus" in output


def test_cli_exits_2_on_an_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, output = _train(["--data", str(empty), "--target", "y", "--out", str(tmp_path / "x")])
    assert code == 2 and "empty" in output


def test_cli_exits_2_on_a_target_with_one_class(tmp_path: Path) -> None:
    one_class = tmp_path / "one.csv"
    read_csv(LT).assign(loan_default="0").to_csv(one_class, index=False)
    code, output = _train(["--data", str(one_class), "--target", "loan_default", "--out", str(tmp_path / "x")])
    assert code == 2 and "one class" in output


def test_cli_exits_2_when_scoring_data_lacks_model_columns(tmp_path: Path) -> None:
    assert _train(["--data", str(LT), "--target", "loan_default", "--out", str(tmp_path / "pd"),
                   "--max-rounds", "20"])[0] == 0
    partial = tmp_path / "partial.csv"
    read_csv(LT).drop(columns=["ltv"]).to_csv(partial, index=False)
    result = runner.invoke(app, ["risk", "score", "--model", str(tmp_path / "pd"), "--data", str(partial),
                                 "--out", str(tmp_path / "s.csv")])
    assert result.exit_code == 2 and "ltv" in result.output


def test_cli_exits_2_when_the_model_directory_is_not_a_model(tmp_path: Path) -> None:
    result = runner.invoke(app, ["valuation", "predict", "--model", str(tmp_path), "--data", str(CHE),
                                 "--out", str(tmp_path / "p.csv")])
    assert result.exit_code == 2 and "metadata.json" in result.output


def test_the_single_applicant_path_scores_like_the_batch_path(credit_model) -> None:  # type: ignore[no-untyped-def]
    from autofin.risk.service import score_inputs

    frame = read_csv(LT).drop(columns=["loan_default"]).head(25)
    batch = credit_model.score_frame(frame)
    for i, record in enumerate(frame.to_dict("records")):
        single = score_inputs(credit_model, record)
        assert single["pd"] == pytest.approx(batch["pd"][i], abs=1e-6)
        assert single["score"] == batch["score"][i] and single["grade"] == batch["grade"][i]
