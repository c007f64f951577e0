"""Origination (业务中心 + 审核中心): applications, submission checks, dispatch, review, committee, decisions."""
