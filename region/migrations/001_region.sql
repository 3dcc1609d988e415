-- The region's schema: each hall's events keyed by (hall, seq) with their chain hash, the head
-- of each hall's chain, the tickets projection, and the halls the exporter refused.
CREATE TABLE region.halls (
    hall        text PRIMARY KEY,            -- the hall id (a slug of the config's mpp name)
    name        text NOT NULL,
    kabupaten   text NOT NULL,
    province    text,
    timezone    text NOT NULL,
    last_seq    bigint NOT NULL DEFAULT 0,   -- the head of the chain the region holds
    last_hash   text NOT NULL,
    exported_at timestamptz
);

-- No foreign key to region.halls on the two big tables: a per-row check would cost more than
-- the COPY itself, and every write already locks its hall's row (region/store.py).
CREATE TABLE region.events (
    hall        text NOT NULL,
    seq         bigint NOT NULL,
    command_id  text NOT NULL,
    kind        text NOT NULL,
    ticket_id   text,
    device      text NOT NULL,
    officer     text,
    at_ms       bigint NOT NULL,             -- Unix milliseconds, as on the wire
    data        jsonb NOT NULL,              -- without the ticket's secret (region/store.py)
    hash        text NOT NULL,               -- shared/ledger/chain.py's event_hash
    PRIMARY KEY (hall, seq)
);

-- One row per ticket of every hall, as the hall's own projection has it (status, the service
-- and agency after transfers, the times), updated in the transaction that adds its events.
CREATE TABLE region.tickets (
    hall          text NOT NULL,
    ticket_id     text NOT NULL,
    service_day   date,
    label         text,
    queue         text,
    agency        text,
    service       text,
    priority      text,
    status        text,
    counter       integer,
    officer       text,
    issued_at_ms  bigint,
    called_at_ms  bigint,
    started_at_ms bigint,
    ended_at_ms   bigint,
    call_count    integer NOT NULL DEFAULT 0,
    transfers     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (hall, ticket_id)
);
CREATE INDEX tickets_day_hall ON region.tickets (service_day, hall);
CREATE INDEX tickets_agency_day ON region.tickets (agency, service_day);

-- The halls' figures per service day, agency and service: the hall's own report definitions
-- (shared/ledger/queries.py `figures`) over the region's tickets.
CREATE VIEW region.daily AS
SELECT hall, service_day, agency, service,
       count(*)                                          AS issued,
       count(*) FILTER (WHERE status = 'finished')       AS served,
       count(*) FILTER (WHERE status = 'no_show')        AS no_show,
       count(*) FILTER (WHERE status = 'cancelled')      AS cancelled,
       count(*) FILTER (WHERE status = 'waiting')        AS waiting,
       count(*) FILTER (WHERE status = 'expired')        AS expired,
       avg((called_at_ms - issued_at_ms) / 60000.0)      AS avg_wait_min,
       percentile_disc(0.9) WITHIN GROUP (ORDER BY (called_at_ms - issued_at_ms) / 60000.0)
                                                         AS p90_wait_min,
       avg((ended_at_ms - coalesce(started_at_ms, called_at_ms)) / 60000.0)
           FILTER (WHERE status = 'finished')            AS avg_service_min
FROM region.tickets
GROUP BY hall, service_day, agency, service;

-- A hall whose chain disagreed with what the region holds: reported, never merged.
CREATE TABLE region.refusals (
    id          bigserial PRIMARY KEY,
    hall        text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    seq         bigint,                      -- the event where the histories part
    reason      text NOT NULL,
    region_hash text,
    hub_hash    text
);
