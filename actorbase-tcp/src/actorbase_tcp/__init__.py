"""multiprocTCPBase: one process per actor over persistent TCP connections."""
