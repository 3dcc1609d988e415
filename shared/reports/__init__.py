"""The MPP's reports: figures for any period computed from the ledger's events (figures.py),
the report definitions the console and the region share (definitions.py), and their exports:
CSV, XLSX and PDF with charts (export.py). No Qt; reads a ledger file through sqlite3."""
