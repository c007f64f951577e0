"""Rebuild ``cn_region_codes.csv`` (code,first_year,last_year,name) from the dated division list.

Source: jxlwqq/address-code-of-china @59d892a8 : address_code.csv (MIT), rows ``year,code,name``.
Usage: ``python build_regions.py address_code.csv > cn_region_codes.csv``. A code's name is its most recent one.
"""

from __future__ import annotations

import csv
import sys


def main(path: str) -> None:
    spans: dict[str, tuple[int, int, str]] = {}
    with open(path, encoding="utf-8") as handle:
        for row in csv.reader(handle):
            if len(row) < 3 or not row[0].isdigit():
                continue
            year, code, name = int(row[0]), row[1].strip(), row[2].strip()
            first, last, latest = spans.get(code, (year, year, name))
            if year >= last:
                last, latest = year, name
            spans[code] = (min(first, year), last, latest)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["code", "first_year", "last_year", "name"])
    for code in sorted(spans):
        writer.writerow([code, *spans[code]])


if __name__ == "__main__":
    main(sys.argv[1])
