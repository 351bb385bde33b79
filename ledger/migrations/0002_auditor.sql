-- Auditor access (docs/ledger.md, "Auditors"): documented views in schema `audit`, and a role
-- cpx_auditor that may read those views and nothing else. Grant it to people's login roles:
--   CREATE ROLE alice LOGIN PASSWORD '...' IN ROLE cpx_auditor;

CREATE SCHEMA audit;

CREATE VIEW audit.settlement_batches AS
  SELECT batch_id, first_seq, last_seq, trade_count, encode(prev_hash, 'hex') AS prev_hash,
         encode(hash, 'hex') AS hash, settled_at
  FROM public.settlement_batches;

CREATE VIEW audit.accounts AS
  SELECT account, role, seq, batch_id FROM public.accounts;

CREATE VIEW audit.trades AS
  SELECT trade_id, seq, batch_id, chip, region, price, qty, notional, aggressor, bid_account,
         bid_order_id, ask_account, ask_order_id, traded_ms,
         to_timestamp(traded_ms / 1000.0) AS traded_at
  FROM public.trades;

-- Every order with its final state: status is 'open' until it ends, then the ending's reason.
CREATE VIEW audit.orders AS
  SELECT o.order_id, o.seq, o.batch_id, o.account, o.client_order_id, o.side, o.chip, o.region,
         o.tif, o.urgency, o.price AS placed_price, o.qty, o.accepted_ms,
         to_timestamp(o.accepted_ms / 1000.0) AS accepted_at,
         coalesce(e.reason, 'open') AS status, e.price AS final_price, e.filled_qty, e.ended_ms,
         to_timestamp(e.ended_ms / 1000.0) AS ended_at
  FROM public.orders o LEFT JOIN public.order_endings e ON e.order_id = o.order_id;

CREATE VIEW audit.postings AS
  SELECT batch_id, line, seq, trade_id, order_id, account, book, kind, amount
  FROM public.postings;

-- Each account's balance after every batch that moved it ...
CREATE VIEW audit.balance_history AS
  SELECT account, batch_id, available, held, available + held AS balance
  FROM public.balances;

-- ... and now.
CREATE VIEW audit.balances AS
  SELECT DISTINCT ON (account) account, batch_id AS as_of_batch, available, held,
         available + held AS balance
  FROM public.balances ORDER BY account, batch_id DESC;

-- The role is cluster-wide: created once, by a user allowed to (the private PostgreSQL's user
-- is); elsewhere an administrator creates it, and this migration only grants.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cpx_auditor') THEN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user
               AND (rolsuper OR rolcreaterole)) THEN
      CREATE ROLE cpx_auditor NOLOGIN;
    ELSE
      RAISE NOTICE 'role cpx_auditor does not exist and % may not create it: auditors get no '
                   'SQL access until an administrator creates it and migrates again', current_user;
    END IF;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cpx_auditor') THEN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO cpx_auditor', current_database());
    GRANT USAGE ON SCHEMA audit TO cpx_auditor;
    GRANT SELECT ON ALL TABLES IN SCHEMA audit TO cpx_auditor;
  END IF;
END $$;

-- Nobody but the server's own role touches the tables behind the views.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
