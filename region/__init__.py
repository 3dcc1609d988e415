"""The region: every hall's ledger streamed into one PostgreSQL database (issue 17).

`exporter` is the station that follows one hub's event stream into PostgreSQL, `store` the
writes (events, the chain's head and the tickets projection in one transaction), `schema` the
plain SQL migrations of `migrations/`, `reports` the region's report definitions. No Qt; this
package imports `shared.*` only, and no app imports it.
"""
