"""General ledger (总账) and finance centre (财务中心): accounts, posting rules, journal, periods, statements."""
