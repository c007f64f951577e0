"""Feature handling from any CSV: infer what each column is, parse Chinese units and formats, encode for the models.

A :class:`FeatureSchema` is inferred once from the training data and stored with the model (JSON); scoring applies
the same schema, so a model always sees its features in the same order, with the same categories and units.

Column kinds recognised (values are looked at, headers give hints):

* numbers, also as text with thousands separators or a trailing ``%``;
* ``万元`` amounts (a header with 万元, values ending in 万/万元, or a price header such as 售价/原价 whose
  values are all below 1,000) → yuan; ``万公里`` distances (header or values with 万公里, or a 里程 header
  with values below 100) → km;
* year-month ``YYYY-MM`` / ``YYYY年MM月`` (first registration, 年份) → age in years at the reference date;
* full dates ``YYYY-MM-DD`` → years relative to the reference date (negative = in the past);
* a model-year column (``year`` / 年份 holding 1950–2100) → age in years;
* engine / range text (排量/续航) like ``1.5T``, ``2.0L``, ``520km`` → engine litres, electric range km, a turbo flag
  and an electric (BEV) flag;
* free text such as a listing title (车名 "奔驰C级 2020款 …") → the series (first word) as a category and the
  model year (``2020款``) as age;
* everything else with few distinct values → a category (rare values pooled; unknown values become missing).

Id-like columns (a unique value per row, or the column named as id) are never features; leaking columns are dropped
when the caller names them.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

MAX_CATEGORIES = 300
MIN_CATEGORY_COUNT = 3
FREE_TEXT_UNIQUE_SHARE = 0.5
YEAR_MONTH = re.compile(r"^\s*(\d{4})\s*(?:-|/|年)\s*(\d{1,2})\s*月?\s*$")
FULL_DATE = re.compile(r"^\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T].*)?$")
ENGINE = re.compile(r"^\s*(\d+(?:\.\d+)?)?\s*(L|T|km)\s*$", re.IGNORECASE)
WAN_VALUE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*万(元)?\s*$")
WAN_KM_VALUE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*万公里\s*$")
MODEL_YEAR = re.compile(r"\d{4}\s*款")
PRICE_HEADERS = ("售价", "原价", "价格", "指导价", "报价", "车价")
MILEAGE_HEADERS = ("里程",)
YEAR_HEADERS = ("year", "年份", "年款", "model_year", "modelyear")
ID_NAMES = re.compile(r"(^id$|_id$|^uniqueid$|^unique_id$|编号$|^序号$)", re.IGNORECASE)

# Ratios a credit analyst computes by habit (numerator, denominator) when both columns are present.
KNOWN_RATIOS: tuple[tuple[str, str], ...] = (
    ("PRI.CURRENT.BALANCE", "PRI.SANCTIONED.AMOUNT"),
    ("PRI.ACTIVE.ACCTS", "PRI.NO.OF.ACCTS"),
    ("PRI.OVERDUE.ACCTS", "PRI.NO.OF.ACCTS"),
    ("PRI.OVERDUE.ACCTS", "PRI.ACTIVE.ACCTS"),
    ("disbursed_amount", "asset_cost"),
    ("PRIMARY.INSTAL.AMT", "disbursed_amount"),
    ("PRI.DISBURSED.AMOUNT", "PRI.SANCTIONED.AMOUNT"),
)


class DataProblem(ValueError):
    """The data cannot be used as given; the message names the problem (the CLI exits with code 2)."""

    def __init__(self, en: str, zh: str | None = None) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh or en


@dataclass
class Feature:
    """One model input: where it comes from (``source``), how it is parsed, and its stored categories."""

    name: str
    source: str
    kind: str  # numeric | categorical
    parser: str
    categories: list[str] = field(default_factory=list)
    source2: str | None = None  # second column of a ratio
    mapping: dict[str, float] | None = None  # rate encoding: code → smoothed default rate of the training rows
    default: float | None = None  # rate encoding: the rate of an unseen code

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FeatureSchema:
    features: list[Feature]
    target: str | None
    id_column: str | None
    reference_date: str
    dropped: dict[str, str] = field(default_factory=dict)  # column → why it is not a feature
    target_scale: float = 1.0  # e.g. 10000 when the target was in 万元

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def sources(self) -> list[str]:
        cols: list[str] = []
        for f in self.features:
            for col in (f.source, f.source2):
                if col and col not in cols:
                    cols.append(col)
        return cols

    @property
    def categorical_indices(self) -> list[int]:
        return [i for i, f in enumerate(self.features) if f.kind == "categorical"]

    def to_json(self) -> dict[str, Any]:
        return {
            "features": [f.to_json() for f in self.features],
            "target": self.target,
            "id_column": self.id_column,
            "reference_date": self.reference_date,
            "dropped": self.dropped,
            "target_scale": self.target_scale,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeatureSchema:
        return cls(
            features=[Feature(**f) for f in data["features"]],
            target=data.get("target"),
            id_column=data.get("id_column"),
            reference_date=data["reference_date"],
            dropped=dict(data.get("dropped", {})),
            target_scale=float(data.get("target_scale", 1.0)),
        )


# ---------------------------------------------------------------------------------------------------- reading


def read_csv(path: Any) -> pd.DataFrame:
    """Read a CSV as text columns (parsing is ours), refusing an empty file with a clear message."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=True, na_values=["", "NA", "N/A", "NaN", "null", "-"],
                            encoding="utf-8-sig", skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataProblem(f"{path}: the file is empty; give a CSV with a header row and data rows.",
                          f"{path}：文件为空，请提供带表头和数据行的 CSV。") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataProblem(f"{path}: not a readable UTF-8 CSV ({exc}).",
                          f"{path}：不是可读的 UTF-8 CSV（{exc}）。") from None
    if frame.empty:
        raise DataProblem(f"{path}: the file has a header but no data rows.", f"{path}：文件只有表头，没有数据行。")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def require_columns(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        known = ", ".join(map(str, frame.columns[:40]))
        raise DataProblem(
            f"{what}: column(s) {', '.join(missing)} not in the data; the columns are: {known}.",
            f"{what}：数据中没有列 {', '.join(missing)}；现有列：{known}。",
        )


# ---------------------------------------------------------------------------------------------------- parsing


def to_number(values: pd.Series) -> pd.Series:
    """Numbers from text: thousands separators, a trailing %, surrounding spaces; anything else → NaN."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    numbers = pd.to_numeric(values, errors="coerce").astype(float)  # plain numbers at C speed
    failed = numbers.isna() & values.notna()
    if failed.any():  # only the cells that need cleaning go through the string functions
        text = values[failed].astype("string").str.strip().str.replace(",", "", regex=False)
        numbers[failed] = pd.to_numeric(text.str.replace("%", "", regex=False), errors="coerce").astype(float)
    return numbers


def parse_wan(values: pd.Series) -> pd.Series:
    """万元 / 万公里 → units (× 10,000); accepts bare numbers and numbers followed by 万, 万元 or 万公里."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float) * 10_000
    text = values.astype("string").str.strip().str.replace(r"\s*万(元|公里)?$", "", regex=True)
    return pd.to_numeric(text, errors="coerce").astype(float) * 10_000


def _ref(reference_date: str) -> date:
    return date.fromisoformat(reference_date)


def parse_year_month_age(values: pd.Series, reference_date: str) -> pd.Series:
    """'2019-11' / '2019年11月' → age in years at the reference date (month precision)."""
    ref = _ref(reference_date)
    parts = values.astype("string").str.extract(r"^\s*(\d{4})\s*(?:-|/|年)\s*(\d{1,2})")
    years = pd.to_numeric(parts[0], errors="coerce")
    months = pd.to_numeric(parts[1], errors="coerce")
    age = (ref.year - years) + (ref.month - months) / 12.0
    return age.astype(float)


def parse_date_years(values: pd.Series, reference_date: str) -> pd.Series:
    """A full date → years from the reference date (negative when before it)."""
    ref = pd.Timestamp(_ref(reference_date))
    stamps = pd.to_datetime(values.astype("string").str.slice(0, 10), errors="coerce", format="%Y-%m-%d")
    return ((stamps - ref).dt.days / 365.25).astype(float)


def parse_year_age(values: pd.Series, reference_date: str) -> pd.Series:
    years = to_number(values)
    years = years.where((years >= 1900) & (years <= 2100))
    return (_ref(reference_date).year - years).astype(float)


def parse_engine(values: pd.Series) -> pd.DataFrame:
    """'1.5T' → litres 1.5, turbo 1; '2.0L' → litres 2.0; '520km' → range 520, electric 1."""
    text = values.astype("string").str.strip()
    parts = text.str.extract(r"^\s*(\d+(?:\.\d+)?)?\s*(L|T|km|KM|Km)\s*$")
    number = pd.to_numeric(parts[0], errors="coerce").astype(float)
    unit = parts[1].str.lower()
    electric = (unit == "km").astype(float).where(unit.notna())
    turbo = (unit == "t").astype(float).where(unit.notna())
    litres = number.where(unit.isin(["l", "t"]))
    range_km = number.where(unit == "km")
    return pd.DataFrame({"litres": litres, "range_km": range_km, "turbo": turbo, "electric": electric})


def parse_model_year_age(values: pd.Series, reference_date: str) -> pd.Series:
    years = pd.to_numeric(values.astype("string").str.extract(r"(\d{4})\s*款")[0], errors="coerce")
    return (_ref(reference_date).year - years).astype(float)


def code_keys(values: pd.Series) -> pd.Series:
    """Codes as text keys: '3328', 3328 and 3328.0 are the same code."""
    numbers = pd.to_numeric(values, errors="coerce")
    present = values.notna()
    if bool((numbers[present] % 1 == 0).all()) and not numbers[present].isna().any():  # all whole numbers: fast
        return numbers.astype("Int64").astype("string")
    text = values.astype("string").str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    integral = numbers.notna() & (numbers % 1 == 0)
    return text.where(~integral, numbers.where(integral).astype("Int64").astype("string"))


def rate_candidates(schema: FeatureSchema, frame: pd.DataFrame) -> list[Feature]:
    """Integer code columns (dealer, branch, officer ids …) whose default rate per code is worth learning."""
    out = []
    for feature in schema.features:
        if feature.parser != "number" or not re.search(r"(_id$|id$|code)", feature.source, re.IGNORECASE):
            continue
        values = to_number(frame[feature.source]).dropna()
        if values.empty or not bool((values % 1 == 0).all()):
            continue
        distinct = values.nunique()
        if 10 <= distinct <= 0.5 * len(frame):
            out.append(feature)
    return out


def first_word(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.split(r"\s+", n=1, regex=True).str[0]


# ---------------------------------------------------------------------------------------------------- inference


def _share_matching(text: pd.Series, pattern: re.Pattern[str]) -> float:
    if text.empty:
        return 0.0
    return float(text.str.match(pattern).mean())


def _is_id_like(name: str, raw: pd.Series, rows: int) -> bool:
    non_null = raw.dropna()
    if non_null.empty:
        return False
    unique_share = non_null.nunique() / max(rows, 1)
    if ID_NAMES.search(name) and unique_share > 0.9:
        return True
    numbers = to_number(non_null)
    if numbers.notna().all():  # numbers are features unless named as an id (a price may well be unique)
        return False
    has_digits = bool(non_null.astype("string").str.contains(r"\d").mean() > 0.95)
    no_spaces = bool(~non_null.astype("string").str.contains(r"\s").any())
    return has_digits and no_spaces and unique_share >= 0.999 and rows >= 50


def _categories(values: pd.Series) -> list[str]:
    counts = values.dropna().astype(str).value_counts()
    counts = counts[counts >= MIN_CATEGORY_COUNT]
    return sorted(counts.index[:MAX_CATEGORIES].tolist())


def infer_reference_date(frame: pd.DataFrame, today: date) -> str:
    """The latest full date in the data (e.g. the listing date), else today: ages are measured at this date."""
    latest: date | None = None
    for col in frame.columns:
        text = frame[col].dropna().astype("string").str.strip()
        if text.empty or _share_matching(text.head(200), FULL_DATE) < 0.95:
            continue
        stamps = pd.to_datetime(text.str.slice(0, 10), errors="coerce", format="%Y-%m-%d").dropna()
        stamps = stamps[stamps <= pd.Timestamp(today)]
        if not stamps.empty:
            candidate = stamps.max().date()
            latest = candidate if latest is None or candidate > latest else latest
    return (latest or today).isoformat()


def infer_column(name: str, raw: pd.Series, reference_date: str) -> list[Feature] | str:
    """The features one column yields, or a reason (text) why it yields none."""
    rows = len(raw)
    values = raw.dropna()
    if values.empty:
        return "all values missing"
    text = values.astype("string").str.strip()
    sample = text.head(500)
    lower = name.lower()
    if _share_matching(sample, YEAR_MONTH) > 0.95:
        return [Feature(f"{name}:age_years", name, "numeric", "year_month_age")]
    if _share_matching(sample, FULL_DATE) > 0.95:
        return [Feature(f"{name}:years_from_reference", name, "numeric", "date_years")]
    if _share_matching(sample, ENGINE) > 0.9:
        return [
            Feature(f"{name}:engine_litres", name, "numeric", "engine_litres"),
            Feature(f"{name}:range_km", name, "numeric", "engine_range_km"),
            Feature(f"{name}:turbo", name, "numeric", "engine_turbo"),
            Feature(f"{name}:electric", name, "numeric", "engine_electric"),
        ]
    if _share_matching(sample, WAN_KM_VALUE) > 0.9 or "万公里" in name:
        return [Feature(f"{name}:km", name, "numeric", "wan")]
    if _share_matching(sample, WAN_VALUE) > 0.9 or "万元" in name:
        return [Feature(f"{name}:yuan", name, "numeric", "wan")]
    if _is_id_like(name, raw, rows):
        return "id-like (a different value on every row)"
    numbers = to_number(values)
    numeric_share = float(numbers.notna().mean())
    if numeric_share > 0.98:
        median = float(numbers.median())
        if any(h in name for h in PRICE_HEADERS) and numbers.max() < 1000:
            return [Feature(f"{name}:yuan", name, "numeric", "wan")]
        if any(h in name for h in MILEAGE_HEADERS) and numbers.max() < 100:
            return [Feature(f"{name}:km", name, "numeric", "wan")]
        if lower in YEAR_HEADERS and 1900 <= median <= 2100:
            return [Feature(f"{name}:age_years", name, "numeric", "year_age")]
        return [Feature(name, name, "numeric", "number")]
    unique_share = values.nunique() / max(len(values), 1)
    if unique_share > FREE_TEXT_UNIQUE_SHARE:
        features: list[Feature] = []
        if float(sample.str.contains(MODEL_YEAR).mean()) > 0.8:
            features.append(Feature(f"{name}:model_year_age", name, "numeric", "model_year_age"))
        words = first_word(values)
        if words.nunique() / max(len(words), 1) < FREE_TEXT_UNIQUE_SHARE:
            cats = _categories(words)
            if cats:
                features.append(Feature(f"{name}:first_word", name, "categorical", "first_word", cats))
        return features or "free text with a different value on almost every row"
    cats = _categories(values)
    if not cats:
        return "no value occurs often enough to learn from"
    return [Feature(name, name, "categorical", "category", cats)]


def infer_schema(
    frame: pd.DataFrame,
    *,
    target: str | None,
    id_column: str | None = None,
    drop: list[str] | None = None,
    today: date | None = None,
    add_ratios: bool = True,
) -> FeatureSchema:
    """Look at the training data and decide each column's features (the target and named columns excluded)."""
    drop = [d for d in (drop or []) if d]
    named = [c for c in [target, id_column, *drop] if c]
    require_columns(frame, named, "training data")
    reference = infer_reference_date(frame, today or date.today())  # noqa: DTZ011 (a calendar date, no zone)
    features: list[Feature] = []
    dropped: dict[str, str] = {}
    for col in frame.columns:
        if col == target:
            continue
        if col == id_column:
            dropped[col] = "id column"
            continue
        if col in drop:
            dropped[col] = "dropped on request"
            continue
        result = infer_column(col, frame[col], reference)
        if isinstance(result, str):
            dropped[col] = result
        else:
            features.extend(result)
    if add_ratios:
        numeric_sources = {f.source for f in features if f.parser == "number"}
        for numerator, denominator in KNOWN_RATIOS:
            if numerator in numeric_sources and denominator in numeric_sources:
                features.append(Feature(f"{numerator}/{denominator}", numerator, "numeric", "ratio",
                                        source2=denominator))
    if not features:
        raise DataProblem("no usable feature columns: every column is the target, an id, dropped or empty.",
                          "没有可用的特征列：所有列都是目标、编号、被排除或为空。")
    return FeatureSchema(features=features, target=target, id_column=id_column, reference_date=reference,
                         dropped=dropped)


def target_scale(name: str, values: pd.Series) -> float:
    """10,000 when a price target is written in 万元 (header 万元, or a price header with values below 1,000)."""
    numbers = to_number(values).dropna()
    if "万元" in name or (any(h in name for h in PRICE_HEADERS) and not numbers.empty and numbers.max() < 1000):
        return 10_000.0
    return 1.0


# ---------------------------------------------------------------------------------------------------- transform


def _column(frame: pd.DataFrame, col: str) -> pd.Series:
    if col in frame.columns:
        return frame[col]
    return pd.Series([None] * len(frame), index=frame.index, dtype="object")


def _encode_categories(values: pd.Series, categories: list[str]) -> np.ndarray:
    text = values.astype("string").str.strip()
    text = text.where(text.isin(categories))
    codes = pd.Categorical(text, categories=categories).codes.astype(float)
    codes[codes < 0] = np.nan
    return codes


def feature_values(frame: pd.DataFrame, feature: Feature, reference_date: str,
                   cache: dict[str, Any] | None = None) -> np.ndarray:
    """One feature's values as floats (categorical → index into the stored categories, unknown → NaN)."""
    raw = _column(frame, feature.source)
    parser = feature.parser
    if parser in ("number", "ratio"):
        key = f"number:{feature.source}"
        if cache is None or key not in cache:
            numbers = to_number(raw).to_numpy(dtype=float)
            if cache is not None:
                cache[key] = numbers
        else:
            numbers = cache[key]
        if parser == "number":
            return numbers
    if parser == "wan":
        return parse_wan(raw).to_numpy(dtype=float)
    if parser == "year_month_age":
        return parse_year_month_age(raw, reference_date).to_numpy(dtype=float)
    if parser == "date_years":
        return parse_date_years(raw, reference_date).to_numpy(dtype=float)
    if parser == "year_age":
        return parse_year_age(raw, reference_date).to_numpy(dtype=float)
    if parser == "model_year_age":
        return parse_model_year_age(raw, reference_date).to_numpy(dtype=float)
    if parser.startswith("engine_"):
        key = f"engine:{feature.source}"
        if cache is None or key not in cache:
            parsed = parse_engine(raw)
            if cache is not None:
                cache[key] = parsed
        else:
            parsed = cache[key]
        column = {"engine_litres": "litres", "engine_range_km": "range_km", "engine_turbo": "turbo",
                  "engine_electric": "electric"}[parser]
        return parsed[column].to_numpy(dtype=float)
    if parser == "ratio":
        numerator = numbers
        denominator = feature_values(frame, Feature("", feature.source2 or "", "numeric", "number"), reference_date,
                                     cache)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)
        return ratio.astype(float)
    if parser == "rate":
        rates = code_keys(raw).map(feature.mapping or {}).astype(float)
        return rates.fillna(feature.default if feature.default is not None else np.nan).to_numpy(dtype=float)
    if parser == "category":
        return _encode_categories(raw, feature.categories)
    if parser == "first_word":
        return _encode_categories(first_word(raw), feature.categories)
    raise ValueError(f"unknown parser {parser}")


def transform(frame: pd.DataFrame, schema: FeatureSchema, *, strict: bool = True) -> np.ndarray:
    """The model matrix (rows × features, float, NaN = missing). ``strict`` refuses missing source columns."""
    if strict:
        require_columns(frame, schema.sources, "scoring data")
    cache: dict[str, Any] = {}
    matrix = np.empty((len(frame), len(schema.features)), dtype=float)
    for j, feature in enumerate(schema.features):
        matrix[:, j] = feature_values(frame, feature, schema.reference_date, cache)
    return matrix


def describe_value(feature: Feature, value: float) -> str:
    """A feature value as a person reads it (the category's name, a rounded number, or 'missing')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    if feature.kind == "categorical":
        index = int(value)
        return feature.categories[index] if 0 <= index < len(feature.categories) else "other"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}".rstrip("0").rstrip(".")


def rows_from_records(records: list[dict[str, Any]]) -> pd.DataFrame:
    """A frame from JSON-like records (the single-applicant path), values kept as given."""
    return pd.DataFrame.from_records(records)


# ---------------------------------------------------------------------------------------------------- one row, fast
# The single-applicant path (application review) parses values in plain Python: a one-row pandas frame costs ~20 ms
# of overhead, this costs microseconds. Both paths give the same numbers (tested).

_ENGINE_UNITS = {"l": "litres", "t": "litres", "km": "range_km"}


def _scalar_number(value: Any) -> float:
    if value is None:
        return math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().replace(",", "").replace("%", "")
    try:
        return float(text)
    except ValueError:
        return math.nan


def _scalar_wan(value: Any) -> float:
    if isinstance(value, str):
        value = re.sub(r"\s*万(元|公里)?$", "", value.strip())
    return _scalar_number(value) * 10_000


def _scalar_key(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    number = _scalar_number(value)
    if not math.isnan(number) and number.is_integer():
        return str(int(number))
    return str(value).strip()


def scalar_value(feature: Feature, record: dict[str, Any], reference_date: str) -> float:
    """One feature of one record, parsed exactly like :func:`feature_values` does for a column."""
    value = record.get(feature.source)
    if isinstance(value, float) and math.isnan(value):
        value = None
    parser = feature.parser
    if parser == "number":
        return _scalar_number(value)
    if parser == "wan":
        return _scalar_wan(value)
    if parser == "ratio":
        numerator, denominator = _scalar_number(value), _scalar_number(record.get(feature.source2 or ""))
        return numerator / denominator if denominator > 0 else math.nan
    if parser == "rate":
        key = _scalar_key(value)
        rate = (feature.mapping or {}).get(key) if key is not None else None
        return float(rate) if rate is not None else float(feature.default if feature.default is not None else math.nan)
    text = None if value is None else str(value).strip()
    if parser in ("category", "first_word"):
        if not text:
            return math.nan
        if parser == "first_word":
            text = text.split()[0]
        try:
            return float(feature.categories.index(text))
        except ValueError:
            return math.nan
    if text is None:
        return math.nan
    ref = _ref(reference_date)
    if parser == "year_month_age":
        match = re.match(r"^\s*(\d{4})\s*(?:-|/|年)\s*(\d{1,2})", text)
        return (ref.year - int(match[1])) + (ref.month - int(match[2])) / 12.0 if match else math.nan
    if parser == "date_years":
        try:
            return (date.fromisoformat(text[:10]) - ref).days / 365.25
        except ValueError:
            return math.nan
    if parser == "year_age":
        year = _scalar_number(text)
        return ref.year - year if 1900 <= year <= 2100 else math.nan
    if parser == "model_year_age":
        match = re.search(r"(\d{4})\s*款", text)
        return float(ref.year - int(match[1])) if match else math.nan
    if parser.startswith("engine_"):
        match = re.match(r"^\s*(\d+(?:\.\d+)?)?\s*(L|T|km)\s*$", text, re.IGNORECASE)
        if not match:
            return math.nan
        unit = match[2].lower()
        number = float(match[1]) if match[1] else math.nan
        if parser == "engine_electric":
            return 1.0 if unit == "km" else 0.0
        if parser == "engine_turbo":
            return 1.0 if unit == "t" else 0.0
        wanted = "litres" if parser == "engine_litres" else "range_km"
        return number if _ENGINE_UNITS[unit] == wanted else math.nan
    raise ValueError(f"unknown parser {parser}")


def transform_record(record: dict[str, Any], schema: FeatureSchema) -> np.ndarray:
    """A one-row model matrix from a dict (missing keys are missing values)."""
    return np.array([[scalar_value(f, record, schema.reference_date) for f in schema.features]], dtype=float)
