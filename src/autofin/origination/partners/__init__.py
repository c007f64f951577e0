"""Second-party intake (第二方进件): partner platforms submit applications through a signed API."""
