"""The fault suite: faults injected into the real local stack while the simulator streams, and
every record accounted for (processed exactly once, dead-lettered with its reason and data, or
lost) and every side effect counted against a fault-free baseline (doubled or missing).

Modules: `config` (the run's dataclass), `faults/` (one module per fault family, a catalog),
`workload` (the scenario's records), `runner` (one run, the suite), `effects` (reading the stores),
`accounting` (pure: sent vs stored vs DLQ vs baseline), `table`. CLI: `python -m chaos --help`.
"""
