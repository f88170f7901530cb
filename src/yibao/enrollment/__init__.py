"""Enrollment records: duplicate enrollment across regions and schemes, the 应保尽保 ledger,
and reading rosters and enrollment files (CSV, Excel, Parquet)."""
