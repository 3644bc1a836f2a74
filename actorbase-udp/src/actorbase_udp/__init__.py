"""multiprocUDPBase for actorcore: one process per actor over UDP datagrams."""
