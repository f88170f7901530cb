"""Batch settlement on Parquet: person-grouped chunks, the vectorised engine, bounded memory."""

from yibao.batch.chunks import BatchError, person_chunks
from yibao.batch.settle import BatchResult, settle_file, settle_table

__all__ = ["BatchError", "BatchResult", "person_chunks", "settle_file", "settle_table"]
