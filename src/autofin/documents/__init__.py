"""Documents (附件): uploaded files stored once by content hash and linked to customers, vehicles, applications."""
