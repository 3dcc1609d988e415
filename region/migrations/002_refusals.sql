-- The tickets a hall refused (ticket.refused events: no ticket) beside its tickets, one row
-- each, for the reports' quota refusals (region/reports.py). The partial index holds only the
-- refusals, so a report finds them without reading the halls' other events.
CREATE INDEX events_refused ON region.events (hall) WHERE kind = 'ticket.refused';

CREATE VIEW region.report_rows AS
SELECT hall, ticket_id, service_day, agency, service, priority, status, issued_at_ms,
       called_at_ms, started_at_ms, ended_at_ms, NULL::text AS refused
FROM region.tickets
UNION ALL
SELECT hall, NULL, (data->>'service_day')::date, data->>'agency', data->>'service',
       data->>'priority', NULL, NULL, NULL, NULL, NULL, data->>'reason'
FROM region.events
WHERE kind = 'ticket.refused';
