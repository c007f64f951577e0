"""Loan products (贷款产品): versioned terms, fees, LTV caps and quotes."""
