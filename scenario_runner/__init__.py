"""The scenario runner: `python -m scenario_runner --scenario NAME` (`make sim SCENARIO=NAME`).

Brings the local stack up and applies it (the one place that does, `run.ensure_local_stack`),
loads a scenario from scenarios/ (`scenario`; `report_anchor` places one on the DOT report day),
seeds its reference data (`seeding`), streams the simulated fleet (the `sim` library) into
Kinesis, watches every topic (`observers`), waits for the pipeline to settle (`drain`), checks the
expected outcomes (`outcomes`) and writes an HTML report (`report`). Exit status 0 only when every
outcome passed.
"""
