"""What runs under measurement: opencode's read path (``opencode``), the agent loop's growing history
(``history``) and how it is read (``read_paths``, ``incremental``), workloads over a dataset's first
rows (``rows``), a read site that meets many shapes (``read_site``), a replay of the long-lived serve
process (``serve``, its memory estimated by ``serve_budget``), the catalogue of them all as data
(``catalogue``) and how a job binds one to its data and strategy (``binding``)."""
