-- Delivery hours (docs/delivery.md, docs/ledger.md "Delivery"): providers' sites, contracts (the
-- trades of delivery hours), their status changes and settlement, and the books that carry their
-- money: a buyer's 'escrow' (what its contracts hold until they settle) and the providers'
-- collateral and penalty reservations. Settled rows stay append-only and hash-chained.

-- Every site command that succeeded: the site's state after it (one row per change).
CREATE TABLE sites (
  site            text NOT NULL,
  seq             bigint NOT NULL,
  batch_id        bigint NOT NULL,
  account         text NOT NULL,
  chip            text NOT NULL,
  region          text NOT NULL,
  capacity_pflops numeric(20, 3) NOT NULL,
  green_pct       integer NOT NULL,
  status          text NOT NULL CHECK (status IN ('active', 'retired', 'suspended')),
  PRIMARY KEY (site, seq)
);

-- A trade of a delivery hour is a contract: its site and hour beside the trade's row.
CREATE TABLE contracts (
  trade_id    bigint PRIMARY KEY,
  seq         bigint NOT NULL,
  batch_id    bigint NOT NULL,
  site        text NOT NULL,
  delivery_ms bigint NOT NULL,
  buyer       text NOT NULL,
  seller      text NOT NULL,
  qty         numeric(20, 3) NOT NULL,
  price       numeric(20, 4) NOT NULL,
  notional    numeric(30, 7) NOT NULL
);

-- Each change of a contract's status; a settlement carries what it paid.
CREATE TABLE contract_events (
  trade_id    bigint NOT NULL,
  seq         bigint NOT NULL,
  batch_id    bigint NOT NULL,
  status      text NOT NULL
              CHECK (status IN ('delivering', 'reported', 'disputed', 'settled')),
  delivered   numeric(20, 3),
  paid        numeric(30, 7),
  refunded    numeric(30, 7),
  penalty     numeric(30, 7),
  event_ms    bigint NOT NULL,
  PRIMARY KEY (trade_id, seq, status)
);
CREATE INDEX contract_events_batch ON contract_events (batch_id);
CREATE INDEX contracts_batch ON contracts (batch_id);
CREATE INDEX sites_batch ON sites (batch_id);

ALTER TABLE postings DROP CONSTRAINT postings_book_check;
ALTER TABLE postings ADD CONSTRAINT postings_book_check
  CHECK (book IN ('available', 'held', 'deposits', 'escrow'));
ALTER TABLE postings DROP CONSTRAINT postings_kind_check;
ALTER TABLE postings ADD CONSTRAINT postings_kind_check
  CHECK (kind IN ('deposit', 'hold', 'amend', 'trade', 'release', 'collateral', 'reserve',
                  'escrow', 'settle', 'refund', 'penalty'));

CREATE TRIGGER sites_append_only BEFORE UPDATE OR DELETE ON sites
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER contracts_append_only BEFORE UPDATE OR DELETE ON contracts
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER contract_events_append_only BEFORE UPDATE OR DELETE ON contract_events
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE VIEW audit.sites AS
  SELECT site, seq, batch_id, account, chip, region, capacity_pflops, green_pct, status
  FROM public.sites;
CREATE VIEW audit.contract_events AS
  SELECT trade_id, seq, batch_id, status, delivered, paid, refunded, penalty, event_ms,
         to_timestamp(event_ms / 1000.0) AS event_at
  FROM public.contract_events;
-- Every contract with its status now (the last event's; 'contracted' before any).
CREATE VIEW audit.contracts AS
  SELECT c.trade_id, c.seq, c.batch_id, c.site, c.delivery_ms,
         to_timestamp(c.delivery_ms / 1000.0) AS delivery_at, c.buyer, c.seller, c.qty,
         c.price, c.notional, coalesce(e.status, 'contracted') AS status, e.delivered, e.paid,
         e.refunded, e.penalty
  FROM public.contracts c LEFT JOIN LATERAL (
    SELECT status, delivered, paid, refunded, penalty FROM public.contract_events v
    WHERE v.trade_id = c.trade_id ORDER BY v.seq DESC, v.status = 'settled' DESC LIMIT 1) e
  ON true;
-- The escrow identity (docs/delivery.md): what the escrow books hold equals the notional of the
-- contracts not settled.
CREATE VIEW audit.escrow AS
  SELECT (SELECT coalesce(sum(amount), 0) FROM public.postings WHERE book = 'escrow')
           AS escrow_balance,
         (SELECT coalesce(sum(notional), 0) FROM public.contracts c
           WHERE NOT EXISTS (SELECT 1 FROM public.contract_events e
                             WHERE e.trade_id = c.trade_id AND e.status = 'settled'))
           AS unsettled_notional;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cpx_auditor') THEN
    GRANT SELECT ON ALL TABLES IN SCHEMA audit TO cpx_auditor;
  END IF;
END $$;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
