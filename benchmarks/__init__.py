"""Benchmarks run by hand outside the test suite (the pytest-benchmark ones stay in tests/bench):

    python -m benchmarks.bringup --runs 3          # `python -m harness up` wall time
    python -m benchmarks.latency --records 1000    # end-to-end latency through the local stack
    python -m benchmarks.table_query               # DynamoDB Query cost in the emulator
    python -m benchmarks.sim_bench --vehicles N    # simulator throughput and peak memory
    python -m benchmarks.sim_ab --ref main         # simulator before/after in one run (CPU time)
    python -m benchmarks.devloop --runs 2          # a repeated `make sim`: time to its first record
    python -m benchmarks.reset_ab                  # the reset's table wipe: API deletes vs emulator route

Their figures and the commands that reproduce them are in docs/benchmarks.md.
"""
