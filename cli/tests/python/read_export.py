"""Reads a `codeflix events export` directory with third-party readers and prints what they see.

Usage: read_export.py DIR FORMAT  (FORMAT: parquet or jsonl)

Prints one JSON object: the rows pyarrow and DuckDB read, distinct event ids, the column types
each reader reports and the rows per event type, for the Rust test to compare with the log.
"""

import json
import sys

import duckdb
import pyarrow.dataset as ds


def main(directory: str, form: str) -> None:
    glob = f"{directory}/**/*.{form}"
    seen = {}
    if form == "parquet":
        dataset = ds.dataset(directory, format="parquet", partitioning="hive")
        table = dataset.to_table(
            columns=["event_id", "event_type", "aggregate_version", "occurred_at", "offset",
                     "partition", "date"]
        )
        seen["pyarrow_rows"] = table.num_rows
        seen["pyarrow_types"] = {
            field.name: str(field.type) for field in dataset.schema
        }
        relation = f"read_parquet('{glob}', hive_partitioning = true, union_by_name = true)"
    else:
        relation = f"read_json_auto('{glob}', hive_partitioning = true, union_by_name = true)"
    connection = duckdb.connect()
    rows, ids = connection.execute(
        f"SELECT count(*), count(DISTINCT event_id) FROM {relation}"
    ).fetchone()
    seen["duckdb_rows"] = rows
    seen["duckdb_distinct_ids"] = ids
    seen["duckdb_types"] = {
        name: kind for name, kind, *_ in connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    }
    seen["per_event_type"] = dict(
        connection.execute(f"SELECT event_type, count(*) FROM {relation} GROUP BY 1").fetchall()
    )
    # A typed query an analyst would write: the newest version per aggregate, and the payload.
    seen["max_version"] = connection.execute(
        f"SELECT max(aggregate_version) FROM {relation}"
    ).fetchone()[0]
    seen["names"] = connection.execute(
        f"SELECT count(payload.name) FROM {relation}"
    ).fetchone()[0]
    print(json.dumps(seen))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
