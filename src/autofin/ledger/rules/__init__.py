"""Posting rules as data: a safe amount-expression evaluator, the rule engine and the seeded default rules."""
