"""Permissions of the products domain (menu group 贷款产品)."""

from __future__ import annotations

from autofin.kernel.permissions import declare, declare_group

GROUP = declare_group("products", "贷款产品", "Loan products", 35)

PRODUCT_VIEW = declare("products.product.view", "查看产品", "View products", "products")
PRODUCT_MANAGE = declare("products.product.manage", "编辑产品与版本", "Create and edit products and drafts", "products")
PRODUCT_PUBLISH = declare(
    "products.product.publish", "发布/停用产品版本", "Activate and retire product versions", "products"
)
PRODUCT_QUOTE = declare("products.product.quote", "产品试算", "Quote products", "products")
LTV_MANAGE = declare("products.ltv.manage", "维护LTV上限表", "Maintain the LTV cap table", "products")
LTV_BACKDATE = declare(
    "products.ltv.backdate", "补录历史生效的LTV上限", "Add LTV caps effective in the past", "products"
)
