"""The end-of-day batch (日终批处理): ordered set-based steps per loan-id partition, idempotent and resumable."""
