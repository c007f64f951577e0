"""The pure core every domain shares: money, errors, the acting user, permissions, events, time.

Nothing here imports any other part of autofin or any framework.
"""
