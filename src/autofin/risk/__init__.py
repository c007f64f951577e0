"""Risk management (风险管理): credit models (PD, scorecard), vehicle valuation, and their governance."""
