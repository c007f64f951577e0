"""Risk scoring speed: batch rows/s (target ≥ 10,000/s) and one in-process score p99 (target ≤ 10 ms).

    .venv/bin/python bench/risk.py            # trains a small model on the packaged L&T data first

The floor is a plain numpy dot product over the same rows (the least any scorer must do); the ratio says how many
times slower the real path (parse → LightGBM PD → scorecard → reasons) is. Batch reasons come from the trees' path
attribution looked up for the whole batch; the exact TreeSHAP line (``pred_contrib``, what one in-process score uses)
is measured on 2,000 rows for comparison.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from autofin.risk.modelling.credit import train_credit
from autofin.risk.modelling.features import read_csv, transform
from autofin.risk.service import score_inputs

DATA = Path(__file__).resolve().parents[1] / "src" / "autofin" / "risk" / "data" / "lt_vehicle_loans.csv"


def main() -> None:
    frame = read_csv(DATA)
    model = train_credit(frame, target="loan_default", id_column="UniqueID", max_rounds=400)
    batch = frame.drop(columns=["loan_default"])
    batch = batch.sample(20_000, replace=True, random_state=1).reset_index(drop=True)
    model.score_frame(batch.head(100))
    start = time.perf_counter()
    model.score_frame(batch)
    seconds = time.perf_counter() - start
    rows_per_s = len(batch) / seconds
    start = time.perf_counter()
    matrix = transform(batch, model.schema)
    model.score_matrix(matrix, reasons=False)
    no_reasons_per_s = len(batch) / (time.perf_counter() - start)
    exact_rows = batch.head(2000)
    start = time.perf_counter()
    model.score_frame(exact_rows, exact_reasons=True)
    exact_per_s = len(exact_rows) / (time.perf_counter() - start)
    matrix = np.nan_to_num(transform(batch, model.schema))
    weights = np.random.default_rng(1).random(matrix.shape[1])
    start = time.perf_counter()
    for _ in range(10):
        matrix @ weights
    floor_rows_per_s = len(batch) * 10 / (time.perf_counter() - start)
    records = batch.head(1000).to_dict("records")
    timings = []
    for record in records:
        begin = time.perf_counter()
        score_inputs(model, record)
        timings.append((time.perf_counter() - begin) * 1000)
    p50, p99 = np.percentile(timings, [50, 99])
    print(f"batch scoring (with reasons): {rows_per_s:,.0f} rows/s (target >= 10,000) "
          f"{'OK' if rows_per_s >= 10_000 else 'MISS'}")
    print(f"batch scoring (pd, score, grade; no reasons): {no_reasons_per_s:,.0f} rows/s "
          f"{'OK' if no_reasons_per_s >= 10_000 else 'MISS'}")
    print(f"batch scoring (exact TreeSHAP reasons, 2,000 rows): {exact_per_s:,.0f} rows/s")
    print(f"floor (numpy dot product):    {floor_rows_per_s:,.0f} rows/s; "
          f"ratio floor/real {floor_rows_per_s / rows_per_s:,.0f}x")
    print(f"single in-process score:      p50 {p50:.2f} ms, p99 {p99:.2f} ms (target <= 10 ms) "
          f"{'OK' if p99 <= 10 else 'MISS'}")


if __name__ == "__main__":
    main()
