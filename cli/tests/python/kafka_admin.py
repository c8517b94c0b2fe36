#!/usr/bin/env python3
"""What an operator asks of a Kafka cluster about consumer groups, with confluent-kafka's AdminClient.

`groups` prints one JSON object: every consumer group with its state and members (ListGroups,
DescribeGroups), its committed offsets (OffsetFetch) and, per partition, the log end offset
(ListOffsets) and the lag. `reset GROUP OFFSET` sets every committed offset of a group to OFFSET
(OffsetCommit through the admin API, as `kafka-consumer-groups --reset-offsets --to-offset`) and
prints the offsets as committed afterwards. Any error is fatal: the point is that nothing fails.
"""

import argparse
import json
import sys

from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

TIMEOUT = 30.0


def committed(admin: AdminClient, group: str) -> list:
    futures = admin.list_consumer_group_offsets(
        [ConsumerGroupTopicPartitions(group)], request_timeout=TIMEOUT
    )
    result = futures[group].result(timeout=TIMEOUT)
    return [tp for tp in result.topic_partitions if tp.offset >= 0]


def ends(admin: AdminClient, partitions: list) -> dict:
    if not partitions:
        return {}
    asked = {TopicPartition(tp.topic, tp.partition): OffsetSpec.latest() for tp in partitions}
    futures = admin.list_offsets(asked, request_timeout=TIMEOUT)
    return {
        (tp.topic, tp.partition): future.result(timeout=TIMEOUT).offset
        for tp, future in futures.items()
    }


def groups(admin: AdminClient) -> dict:
    listed = admin.list_consumer_groups(request_timeout=TIMEOUT).result(timeout=TIMEOUT)
    if listed.errors:
        raise RuntimeError(f"listing groups: {listed.errors}")
    names = sorted(g.group_id for g in listed.valid)
    described = {}
    if names:
        for name, future in admin.describe_consumer_groups(
            names, request_timeout=TIMEOUT
        ).items():
            described[name] = future.result(timeout=TIMEOUT)
    out = {}
    for name in names:
        detail = described[name]
        offsets = committed(admin, name)
        end = ends(admin, offsets)
        out[name] = {
            "listed_state": next(g.state.name for g in listed.valid if g.group_id == name),
            "state": detail.state.name,
            "members": [m.member_id for m in detail.members],
            "partitions": [
                {
                    "topic": tp.topic,
                    "partition": tp.partition,
                    "committed": tp.offset,
                    "end": end[(tp.topic, tp.partition)],
                    "lag": end[(tp.topic, tp.partition)] - tp.offset,
                }
                for tp in sorted(offsets, key=lambda tp: (tp.topic, tp.partition))
            ],
        }
    return out


def reset(admin: AdminClient, group: str, offset: int) -> list:
    partitions = [TopicPartition(tp.topic, tp.partition, offset) for tp in committed(admin, group)]
    if not partitions:
        raise RuntimeError(f"group {group} has no committed offsets to reset")
    futures = admin.alter_consumer_group_offsets(
        [ConsumerGroupTopicPartitions(group, partitions)], request_timeout=TIMEOUT
    )
    futures[group].result(timeout=TIMEOUT)
    return [
        {"topic": tp.topic, "partition": tp.partition, "committed": tp.offset}
        for tp in sorted(committed(admin, group), key=lambda tp: (tp.topic, tp.partition))
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("groups")
    resetting = commands.add_parser("reset")
    resetting.add_argument("group")
    resetting.add_argument("offset", type=int)
    args = parser.parse_args()

    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    if args.command == "groups":
        print(json.dumps(groups(admin)))
    else:
        print(json.dumps(reset(admin, args.group, args.offset)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
