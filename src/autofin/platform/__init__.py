"""Platform services every domain uses: config center, data dictionary, jobs, notifications, idempotency."""
