"""``autofin risk train|score`` and ``autofin valuation train|predict``: the model workbench from the command line.

These commands work on files only (no database): train from a CSV into a model directory, score a CSV with it.
Any problem with the data (missing or unknown columns, an empty file, a one-class target) exits with code 2 and a
message naming it. Registering a model in the governed registry goes through the API (``/api/v1/risk/models``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

risk_app = typer.Typer(help="Credit risk models (风险模型): train the PD model and scorecard, score applicants.",
                       no_args_is_help=True)
valuation_app = typer.Typer(help="Vehicle valuation model (车辆估值模型): train and predict used-car prices.",
                            no_args_is_help=True)
console = Console(stderr=True)
out = Console()


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(2)


def _columns(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


@contextmanager
def _progress(title: str) -> Iterator[Callable[[str, int, int], None]]:
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{title}: {stage}", total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update
        for task in tasks.values():  # early stopping ends before the round budget: show the stage as done
            bar.update(task, completed=bar.tasks[task].total)


def _read(path: Path) -> Any:
    from autofin.risk.modelling.features import read_csv

    if not path.is_file():
        raise _fail(f"{path}: no such file.")
    return read_csv(path)


def _binary_table(title: str, report: dict[str, Any]) -> Table:
    table = Table(title=title)
    for column in ("held-out rows", "bad rate", "AUC", "KS", "Gini"):
        table.add_column(column, justify="right")
    table.add_row(str(report["rows"]), f"{report['bad_rate']:.3f}", f"{report['auc']:.4f}", f"{report['ks']:.4f}",
                  f"{report['gini']:.4f}")
    return table


@risk_app.command("train")
def risk_train(
    data: Path = typer.Option(..., "--data", help="Training CSV (header row, one applicant per row)."),
    target: str = typer.Option(..., "--target", help="The 0/1 default column (1 = defaulted)."),
    out_dir: Path = typer.Option(..., "--out", help="Directory to write the model files into."),
    id_column: str | None = typer.Option(None, "--id", help="Applicant id column (never a feature)."),
    drop: str | None = typer.Option(None, "--drop", help="Columns to leave out, comma-separated (e.g. leaks)."),
    time_column: str | None = typer.Option(None, "--time-column",
                                           help="Hold out the most recent 20 %% by this column (out-of-time)."),
    recent_is_low: bool = typer.Option(False, "--recent-is-low",
                                       help="With --time-column: smaller values are more recent (e.g. days since)."),
    seed: int = typer.Option(7, help="Seed of the row split and the trees."),
    max_rounds: int = typer.Option(2000, help="Most boosting rounds (early stopping usually ends sooner)."),
) -> None:
    """Train the PD model (LightGBM, calibrated) and the scorecard; print their held-out metrics."""
    from autofin.risk.modelling.artifacts import save_credit
    from autofin.risk.modelling.credit import train_credit
    from autofin.risk.modelling.features import DataProblem

    frame = _read_or_exit(data)
    try:
        with _progress("training") as progress:
            model = train_credit(frame, target=target, id_column=id_column, drop=_columns(drop), seed=seed,
                                 time_column=time_column, recent_is_low=recent_is_low, max_rounds=max_rounds,
                                 progress=progress)
    except DataProblem as problem:
        raise _fail(problem.en) from None
    save_credit(model, out_dir)
    out.print(_binary_table("PD model (LightGBM, calibrated) — held-out rows", model.metrics["pd"]))
    out.print(_binary_table("Scorecard (WoE + logistic) — held-out rows", model.metrics["scorecard"]))
    grades = Table(title="Scorecard grades on held-out rows")
    for column in ("grade", "min score", "rows", "bad rate"):
        grades.add_column(column, justify="right")
    cutoffs = {c["grade"]: c["min_score"] for c in model.scorecard.grade_cutoffs}
    for row in model.metrics["scorecard"]["grades"]:
        rate = "-" if row["bad_rate"] is None else f"{row['bad_rate']:.3f}"
        minimum = str(cutoffs[row["grade"]]) if row["grade"] != "E" else "-"
        grades.add_row(row["grade"], minimum, str(row["count"]), rate)
    out.print(grades)
    out.print(f"split: {model.metrics['split']}; model written to {out_dir}")


def _read_or_exit(path: Path) -> Any:
    from autofin.risk.modelling.features import DataProblem

    try:
        return _read(path)
    except DataProblem as problem:
        raise _fail(problem.en) from None


@risk_app.command("score")
def risk_score(
    model_dir: Path = typer.Option(..., "--model", help="A directory written by 'autofin risk train'."),
    data: Path = typer.Option(..., "--data", help="CSV of applicants with the model's columns."),
    out_file: Path = typer.Option(..., "--out", help="Output CSV: id (or row), pd, score, grade, reasons."),
    exact_reasons: bool = typer.Option(False, "--exact-reasons",
                                       help="Reasons from exact TreeSHAP (pred_contrib) instead of the trees' path "
                                            "attribution; about ten times slower."),
) -> None:
    """Score applicants: PD, scorecard points, grade and the top reasons (reason codes)."""
    from autofin.risk.modelling.artifacts import load_credit
    from autofin.risk.modelling.features import DataProblem

    try:
        model = load_credit(model_dir)
        frame = _read(data)
        result = model.score_frame(frame, exact_reasons=exact_reasons)
    except DataProblem as problem:
        raise _fail(problem.en) from None
    out_file.parent.mkdir(parents=True, exist_ok=True)
    result.to_csv(out_file, index=False, encoding="utf-8")
    out.print(f"{len(result)} rows scored → {out_file}")


@valuation_app.command("train")
def valuation_train(
    data: Path = typer.Option(..., "--data", help="Training CSV of vehicles with their prices."),
    target: str = typer.Option(..., "--target", help="The price column (万元 is read as yuan)."),
    out_dir: Path = typer.Option(..., "--out", help="Directory to write the model files into."),
    id_column: str | None = typer.Option(None, "--id", help="Vehicle id column (never a feature)."),
    drop: str | None = typer.Option(None, "--drop", help="Columns to leave out, comma-separated."),
    seed: int = typer.Option(7, help="Seed of the row split and the trees."),
    max_rounds: int = typer.Option(5000, help="Most boosting rounds (early stopping usually ends sooner)."),
) -> None:
    """Train the valuation model (LightGBM on log price) and print its held-out errors."""
    from autofin.risk.modelling.artifacts import save_valuation
    from autofin.risk.modelling.features import DataProblem
    from autofin.risk.modelling.valuation import train_valuation

    frame = _read_or_exit(data)
    try:
        with _progress("training") as progress:
            model = train_valuation(frame, target=target, id_column=id_column, drop=_columns(drop), seed=seed,
                                    max_rounds=max_rounds, progress=progress)
    except DataProblem as problem:
        raise _fail(problem.en) from None
    save_valuation(model, out_dir)
    m = model.metrics
    table = Table(title="Valuation model — held-out rows")
    for column in ("rows", "MAPE", "median APE", "within 10 %", "90 % interval coverage"):
        table.add_column(column, justify="right")
    table.add_row(str(m["split"]["held_out"]), f"{m['mape']:.2%}", f"{m['median_ape']:.2%}",
                  f"{m['within_10_percent']:.1%}", f"{m['interval_coverage']:.1%}")
    out.print(table)
    for name, rows in m["segments"].items():
        seg = Table(title=f"error by {name}")
        for column in ("segment", "rows", "MAPE", "median APE"):
            seg.add_column(column, justify="right")
        for row in rows[:12]:
            seg.add_row(row["segment"], str(row["count"]), f"{row['mape']:.2%}", f"{row['median_ape']:.2%}")
        out.print(seg)
    out.print(f"model written to {out_dir}")


@valuation_app.command("predict")
def valuation_predict(
    model_dir: Path = typer.Option(..., "--model", help="A directory written by 'autofin valuation train'."),
    data: Path = typer.Option(..., "--data", help="CSV of vehicles with the model's columns."),
    out_file: Path = typer.Option(..., "--out", help="Output CSV: id (or row), predicted, low, high."),
) -> None:
    """Predict prices with a 90 % interval (low, high)."""
    from autofin.risk.modelling.artifacts import load_valuation
    from autofin.risk.modelling.features import DataProblem

    try:
        model = load_valuation(model_dir)
        frame = _read(data)
        result = model.predict_frame(frame)
    except DataProblem as problem:
        raise _fail(problem.en) from None
    out_file.parent.mkdir(parents=True, exist_ok=True)
    result.to_csv(out_file, index=False, encoding="utf-8")
    out.print(f"{len(result)} rows valued → {out_file}")


@risk_app.command("metrics")
def risk_metrics(model_dir: Path = typer.Option(..., "--model", help="A model directory.")) -> None:
    """Print a model directory's stored held-out metrics as JSON."""
    from autofin.risk.modelling.artifacts import _read_json
    from autofin.risk.modelling.features import DataProblem

    try:
        meta = _read_json(model_dir / "metadata.json")
    except DataProblem as problem:
        raise _fail(problem.en) from None
    out.print_json(json.dumps(meta.get("metrics", {}), ensure_ascii=False))


def register(root: typer.Typer) -> None:
    root.add_typer(risk_app, name="risk")
    root.add_typer(valuation_app, name="valuation")
