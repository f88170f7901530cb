"""Entry point for spark-submit on a cluster (docs/scale.md):

    spark-submit --master yarn ... "$(python -m yibao.spark.submit --path)" settle IN OUT
    spark-submit --master yarn ... "$(python -m yibao.spark.submit --path)" simulate \\
        --region 500243 --year 2023 --persons 10000000 --out OUT

Under spark-submit the session, master and resources are the submitter's; this file only parses
the arguments and calls the same functions as ``yibao batch settle|simulate --engine spark``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="yibao-spark")
    parser.add_argument("--path", action="store_true", help="print this file's path and exit")
    sub = parser.add_subparsers(dest="command")
    settle = sub.add_parser("settle", help="settle claims Parquet (file or folder)")
    settle.add_argument("claims")
    settle.add_argument("out")
    settle.add_argument("--partitions", type=int, default=None)
    settle.add_argument("--policies", default=None, help="policy folder (default: packaged)")
    sim = sub.add_parser("simulate", help="simulate a synthetic year")
    sim.add_argument("--region", required=True)
    sim.add_argument("--year", type=int, required=True)
    sim.add_argument("--persons", type=int, required=True)
    sim.add_argument("--out", required=True)
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--chunk", type=int, default=250_000)
    sim.add_argument("--partitions", type=int, default=None)
    args = parser.parse_args(argv)
    if args.path:
        print(__file__)
        return 0
    if args.command == "settle":
        from yibao.spark.settle import settle_parquet_spark

        result = settle_parquet_spark(
            args.claims, args.out, args.policies, partitions=args.partitions
        )
        doc = {
            "engine": "spark",
            "claims": result.claims,
            "persons": result.persons,
            "partitions": result.chunks,
            "seconds": round(result.seconds, 3),
            "out": args.out,
        }
    elif args.command == "simulate":
        from yibao.spark.simulate import simulate_spark

        doc = simulate_spark(
            args.region,
            args.year,
            args.persons,
            args.out,
            args.seed,
            chunk=args.chunk,
            partitions=args.partitions,
        ).to_json()
    else:
        parser.print_help(sys.stderr)
        return 2
    print(json.dumps(doc, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
