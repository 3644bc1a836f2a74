"""multiprocQueueBase: one process per actor over multiprocessing pipes, routed by the admin (direct pipes between busy pairs)."""
