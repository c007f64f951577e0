"""Special business of loan accounts (特殊业务): prepayment, extension, restructure, transfer, contract changes,
waivers, write-off and recoveries, manual reclassification — each application → review → execution."""
