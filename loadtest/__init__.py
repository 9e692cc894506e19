"""Load testing against the local stack or AWS (`make load`, `make soak`).

    python -m loadtest.load --scenario fleet-234k --target local|aws    # one load run
    python -m loadtest.sweep --sizes 100,200,400                        # growing fleet sizes
    python -m loadtest.soak --duration 1800 --rate 190                  # a steady rate for long

`load` splits the simulator's fleet over `worker` processes (records from `source`) sending to the
`target`; `probe` reads queues, lag and canaries; `sampling` measures the stack's processes (CPU,
memory, trends) for load, sweep and soak alike; `report` turns worker reports into percentiles,
service-level verdicts and the printed summary; `soak_memory` is the soak's memory verdict;
`live_view` draws the terminal view; `lifeline` keeps workers from outliving their run.
"""
