"""Reading Kinesis and DynamoDB Streams shards through the emulator's API (records straight from the
backend when the emulator is this process: `direct_reads`), and shaping the records into the Lambda
event each service sends (field names as in the AWS Lambda developer guide)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from harness.runtime.aws_clients import client
from harness.runtime.pollers import direct_reads
from harness.runtime.pollers.batch_delivery import FetchedRecord


def _epoch(value: Any) -> float:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return float(value or 0)


def _iso(epoch_s: float) -> str:
    return dt.datetime.fromtimestamp(epoch_s, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class _ShardSource:
    """One shard of a stream, read through `service`'s API (the subclasses' `kind` and field names)."""

    service = ""

    def __init__(self, stream_arn: str, shard_id: str, endpoint: str, region: str) -> None:
        self.arn = stream_arn
        self.shard_id = shard_id
        self.region = region
        self._client = client(self.service, endpoint, region)


class KinesisSource(_ShardSource):
    kind = "kinesis"
    service = "kinesis"
    batch_info_key = "KinesisBatchInfo"

    @staticmethod
    def shard_ids(stream_arn: str, endpoint: str, region: str) -> list[str]:
        shards = client("kinesis", endpoint, region).list_shards(StreamARN=stream_arn)["Shards"]
        return [shard["ShardId"] for shard in shards]

    def iterator(self, starting_position: str, mapping_created_s: float, starting_timestamp: Any = None) -> str:
        if starting_position == "TRIM_HORIZON":
            args: dict[str, Any] = {"ShardIteratorType": "TRIM_HORIZON"}
        else:
            # LATEST means "from when the mapping was created"; the poller may start later than that.
            when = (
                starting_timestamp if starting_position == "AT_TIMESTAMP" and starting_timestamp else mapping_created_s
            )
            args = {"ShardIteratorType": "AT_TIMESTAMP", "Timestamp": _epoch(when)}
        return self._client.get_shard_iterator(StreamARN=self.arn, ShardId=self.shard_id, **args)["ShardIterator"]

    def fetch(self, iterator: str, limit: int) -> tuple[list[FetchedRecord], str | None, int]:
        response = direct_reads.kinesis_get_records(self.arn, iterator, min(limit, 10000))
        if response is None:
            response = self._client.get_records(ShardIterator=iterator, Limit=min(limit, 10000), StreamARN=self.arn)
        records = [self._record(raw) for raw in response["Records"]]
        return records, response.get("NextShardIterator"), int(response.get("MillisBehindLatest") or 0)

    def _record(self, raw: dict[str, Any]) -> FetchedRecord:
        arrival = _epoch(raw.get("ApproximateArrivalTimestamp"))
        event_record = {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": raw["PartitionKey"],
                "sequenceNumber": raw["SequenceNumber"],
                "data": base64.b64encode(raw["Data"]).decode("ascii"),
                "approximateArrivalTimestamp": arrival,
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{self.shard_id}:{raw['SequenceNumber']}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": "",
            "awsRegion": self.region,
            "eventSourceARN": self.arn,
        }
        return FetchedRecord(raw["SequenceNumber"], raw["PartitionKey"], arrival, event_record)

    def batch_info(self, records: list[FetchedRecord]) -> dict[str, Any]:
        return _batch_info(records, self.shard_id, self.arn)


class DynamoDBStreamSource(_ShardSource):
    kind = "dynamodb"
    service = "dynamodbstreams"
    batch_info_key = "DDBStreamBatchInfo"

    def __init__(self, stream_arn: str, shard_id: str, endpoint: str, region: str) -> None:
        super().__init__(stream_arn, shard_id, endpoint, region)
        self._skip_before_s = 0.0
        table_name = stream_arn.split(":table/")[1].split("/")[0]
        schema = client("dynamodb", endpoint, region).describe_table(TableName=table_name)["Table"]["KeySchema"]
        self._hash_key = next(key["AttributeName"] for key in schema if key["KeyType"] == "HASH")

    @staticmethod
    def shard_ids(stream_arn: str, endpoint: str, region: str) -> list[str]:
        description = client("dynamodbstreams", endpoint, region).describe_stream(StreamArn=stream_arn)
        return [shard["ShardId"] for shard in description["StreamDescription"]["Shards"]]

    def iterator(self, starting_position: str, mapping_created_s: float, starting_timestamp: Any = None) -> str:
        # Streams have no AT_TIMESTAMP: read from the start and skip what predates the mapping.
        if starting_position != "TRIM_HORIZON":
            self._skip_before_s = mapping_created_s
        return self._client.get_shard_iterator(
            StreamArn=self.arn, ShardId=self.shard_id, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]

    def fetch(self, iterator: str, limit: int) -> tuple[list[FetchedRecord], str | None, int]:
        response = direct_reads.dynamodb_stream_get_records(self.arn, iterator, min(limit, 1000))
        if response is None:
            response = self._client.get_records(ShardIterator=iterator, Limit=min(limit, 1000))
        records = []
        for raw in response["Records"]:
            created = _epoch(raw["dynamodb"].get("ApproximateCreationDateTime"))
            if created >= self._skip_before_s:
                records.append(self._record(raw, created))
        return records, response.get("NextShardIterator"), 0

    def _record(self, raw: dict[str, Any], created: float) -> FetchedRecord:
        event_record = dict(raw)
        event_record["dynamodb"] = dict(raw["dynamodb"], ApproximateCreationDateTime=created)
        event_record["eventSourceARN"] = self.arn
        event_record["awsRegion"] = self.region
        if raw.get("userIdentity"):
            event_record["userIdentity"] = lambda_user_identity(raw["userIdentity"])
        # Parallelization keeps order per item partition key, as Lambda does for DynamoDB streams.
        partition = str(raw["dynamodb"].get("Keys", {}).get(self._hash_key))
        return FetchedRecord(raw["dynamodb"]["SequenceNumber"], partition, created, event_record)

    def batch_info(self, records: list[FetchedRecord]) -> dict[str, Any]:
        return _batch_info(records, self.shard_id, self.arn)


def lambda_user_identity(identity: dict[str, Any]) -> dict[str, Any]:
    """A stream record's userIdentity as Lambda delivers it (and matches FilterCriteria against):
    the Streams API says Type/PrincipalId, the Lambda event type/principalId (TTL deletes:
    {"type": "Service", "principalId": "dynamodb.amazonaws.com"})."""
    return {"type": identity.get("Type"), "principalId": identity.get("PrincipalId")}


def _batch_info(records: list[FetchedRecord], shard_id: str, stream_arn: str) -> dict[str, Any]:
    return {
        "shardId": shard_id,
        "startSequenceNumber": records[0].sequence_number,
        "endSequenceNumber": records[-1].sequence_number,
        "approximateArrivalOfFirstRecord": _iso(records[0].arrival_s),
        "approximateArrivalOfLastRecord": _iso(records[-1].arrival_s),
        "batchSize": len(records),
        "streamArn": stream_arn,
    }
