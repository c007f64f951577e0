"""Servicing (贷后管理): loan accounts, transactions, repayments, accrual, delinquency, classification and the
end-of-day batch. See ``docs.md``."""
