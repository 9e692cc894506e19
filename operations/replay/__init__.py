"""Replay of stream batches that exhausted their retries (`make replay-failures`, docs/runbook-replay.md).

A Kinesis or DynamoDB Streams event source mapping that gives up on a batch sends its on-failure
destination an invocation record: shard and sequence-number range, not the data. This package reads
those records off the destination queue (`failure_records`), re-reads the range from the stream while
it still retains it (`stream_range`), rebuilds the event Lambda would have sent (`lambda_events`),
invokes the function with it and deletes the destination message only once that invoke succeeded
(`drain`). `cli` is the entry point (`python -m operations.replay`).
"""
