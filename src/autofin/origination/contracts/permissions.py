"""Contract and signing permissions, in the business centre (业务中心) menu group."""

from __future__ import annotations

from autofin.kernel.permissions import declare, declare_group

# Declared with the same values wherever it is declared (origination owns it too): declare_group overwrites harmlessly.
BUSINESS = declare_group("business", "业务中心", "Business centre", 20).code

VIEW_CONTRACTS = declare("origination.contract.view", "查看合同与面签", "View contracts and signing sessions", BUSINESS)
SIGN_CONTRACTS = declare(
    "origination.contract.sign", "合同面签与签章", "Run contract signing sessions and sign contracts", BUSINESS
)
