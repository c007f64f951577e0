"""Contract templates as data: a JSON file per template in ``templates/``, chosen by product code.

A template names the title and the clauses; a clause's text may use the placeholders of :data:`PLACEHOLDERS`
(``{amount}``, ``{apr_simple}`` …), filled from the contract's own figures. ``templates/index.json`` maps product
codes to template codes; products without an entry use ``default``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from autofin.kernel.errors import invalid

DEFAULT_TEMPLATE = "default"
PLACEHOLDERS = frozenset(
    {
        "contract_no",
        "amount",
        "term",
        "disbursement_date",
        "nominal_rate",
        "method",
        "fees",
        "apr_simple",
        "apr_compound",
        "lender_name",
        "borrower_name",
        "vin",
        "plate",
    }
)
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Clause:
    heading: str
    text: str


@dataclass(frozen=True)
class ContractTemplate:
    code: str
    title: str
    title_en: str
    preamble: str
    clauses: tuple[Clause, ...]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ContractTemplate:
        """Build and check a template: every placeholder must be one the renderer knows."""
        try:
            template = cls(
                code=str(data["code"]),
                title=str(data["title"]),
                title_en=str(data.get("title_en", "")),
                preamble=str(data.get("preamble", "")),
                clauses=tuple(Clause(str(c["heading"]), str(c["text"])) for c in data["clauses"]),
            )
        except (KeyError, TypeError) as exc:
            raise invalid(
                "template",
                f"A contract template needs code, title and clauses (each with heading and text); missing {exc}.",
                f"合同模板须包含 code、title 与 clauses（每条含 heading 与 text），缺少 {exc}。",
                "origination.contract.template_invalid",
            ) from exc
        for clause in template.clauses:
            unknown = set(_PLACEHOLDER.findall(clause.text)) - PLACEHOLDERS
            if unknown:
                raise invalid(
                    "template",
                    f"Clause '{clause.heading}' uses unknown placeholders {sorted(unknown)}; "
                    f"use only {sorted(PLACEHOLDERS)}.",
                    f"条款“{clause.heading}”使用了未知占位符 {sorted(unknown)}，"
                    f"可用的占位符为 {sorted(PLACEHOLDERS)}。",
                    "origination.contract.template_invalid",
                )
        return template

    def fill(self, text: str, values: dict[str, str]) -> str:
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _read(name: str) -> dict[str, Any]:
    resource = resources.files("autofin.origination.contracts").joinpath("templates", f"{name}.json")
    loaded: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return loaded


@lru_cache(maxsize=32)
def load_template(code: str) -> ContractTemplate:
    """The shipped template ``code`` (``templates/<code>.json``)."""
    if not _CODE.match(code):
        raise invalid(
            "template", f"'{code}' is not a template code.", f"“{code}”不是有效的模板代码。",
            "origination.contract.template_invalid",
        )
    try:
        return ContractTemplate.from_dict(_read(code))
    except FileNotFoundError as exc:
        raise invalid(
            "template",
            f"There is no contract template '{code}'; ship templates/{code}.json or use '{DEFAULT_TEMPLATE}'.",
            f"没有合同模板“{code}”，请提供 templates/{code}.json 或使用“{DEFAULT_TEMPLATE}”。",
            "origination.contract.template_missing",
        ) from exc


def template_code_for(product_code: str) -> str:
    """The template a product uses (``templates/index.json``), ``default`` when it names none."""
    index = _read("index").get("products", {})
    return str(index.get(product_code, DEFAULT_TEMPLATE))


def template_for(product_code: str) -> ContractTemplate:
    return load_template(template_code_for(product_code))
