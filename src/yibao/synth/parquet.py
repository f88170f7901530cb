"""Write a synthetic year as Parquet: one file per table, appended chunk by chunk.

Claims are written in exactly ``CLAIM_SCHEMA`` and declare that they are sorted by psn_no
(Parquet ``sorting_columns``), which lets the batch settlement stream them in one pass.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from yibao.claims import CLAIM_SCHEMA
from yibao.synth.county import TABLES, SyntheticYear

SORTED_BY_PERSON = [pq.SortingColumn(CLAIM_SCHEMA.get_field_index("psn_no"))]


def claims_arrow(claims: pl.DataFrame) -> pa.Table:
    """Claims as an Arrow table of exactly CLAIM_SCHEMA (timestamps in seconds)."""
    return claims.select(CLAIM_SCHEMA.names).to_arrow().cast(CLAIM_SCHEMA)


class YearWriter:
    """``with YearWriter(out) as w: w.write(year_chunk)`` → out/<table>.parquet."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.paths: dict[str, Path] = {}
        self._writers: dict[str, pq.ParquetWriter] = {}

    def __enter__(self) -> YearWriter:
        self.out.mkdir(parents=True, exist_ok=True)
        return self

    def write(self, year: SyntheticYear) -> None:
        for name in TABLES:
            frame = getattr(year, name)
            if name == "fee_detail" and frame.height == 0:
                continue
            table = claims_arrow(frame) if name == "claims" else frame.to_arrow()
            if name not in self._writers:
                path = self.out / f"{name}.parquet"
                sorting = SORTED_BY_PERSON if name == "claims" else None
                self._writers[name] = pq.ParquetWriter(path, table.schema, sorting_columns=sorting)
                self.paths[name] = path
            self._writers[name].write_table(table)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for writer in self._writers.values():
            writer.close()


def write_year(year: SyntheticYear, out: Path) -> dict[str, Path]:
    with YearWriter(out) as writer:
        writer.write(year)
    return writer.paths
