#!/usr/bin/env python3
"""Reads Codeflix event topics as a third-party consumer would.

Uses confluent-kafka's Consumer (a consumer group) and its AvroDeserializer with the default
configuration, resolving writer schemas through the schema registry. Prints one JSON object per
event: topic, partition, offset, headers and the decoded value.
"""

import argparse
import json
import sys
import time
import uuid

from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--topic", action="append", required=True)
    parser.add_argument("--expect", type=int, required=True, help="stop after this many events")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()

    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap,
            "group.id": f"python-reader-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": args.registry}))
    consumer.subscribe(args.topic)
    seen = 0
    deadline = time.monotonic() + args.timeout
    try:
        while seen < args.expect and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            if message.error():
                print(f"consumer error: {message.error()}", file=sys.stderr)
                continue
            value = deserializer(
                message.value(), SerializationContext(message.topic(), MessageField.VALUE)
            )
            headers = {k: v.decode() for k, v in (message.headers() or [])}
            print(
                json.dumps(
                    {
                        "topic": message.topic(),
                        "partition": message.partition(),
                        "offset": message.offset(),
                        "headers": headers,
                        "value": value,
                    },
                    default=str,
                ),
                flush=True,
            )
            seen += 1
    finally:
        consumer.close()
    if seen < args.expect:
        print(f"read {seen} events, expected {args.expect}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
