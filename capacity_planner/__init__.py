"""The capacity planner: `python -m capacity_planner --env ENV` (`make capacity`).

`model` holds the arithmetic (telemetry rates -> shards, Lambda concurrency, DynamoDB, Redis,
Aurora), `tfvars` reads infra/<env>.tfvars and the stack's capacity locals, `measure` measures
record sizes from the simulator, and `cli` compares the plan with the tfvars and prints it.
"""
