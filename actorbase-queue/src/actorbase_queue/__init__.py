"""multiprocQueueBase: one process per actor, multiprocessing queues, routed by the admin."""
