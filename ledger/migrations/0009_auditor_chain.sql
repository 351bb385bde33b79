-- Everything the hash chain covers, as the tables hold it, for auditors (docs/ledger.md,
-- "Auditors"): `cpx-audit verify` run with an auditor's login reads these views (its search
-- path set to audit_chain), so an auditor recomputes every batch's hash, and every other check,
-- without the server's role. The documented views of schema audit stay the ones to query.
CREATE SCHEMA audit_chain;
CREATE VIEW audit_chain.settlement_batches AS
  SELECT batch_id, first_seq, last_seq, trade_count, prev_hash, hash, settled_at
  FROM public.settlement_batches;
CREATE VIEW audit_chain.accounts AS SELECT * FROM public.accounts;
CREATE VIEW audit_chain.orders AS SELECT * FROM public.orders;
CREATE VIEW audit_chain.order_endings AS SELECT * FROM public.order_endings;
CREATE VIEW audit_chain.trades AS SELECT * FROM public.trades;
CREATE VIEW audit_chain.postings AS SELECT * FROM public.postings;
CREATE VIEW audit_chain.balances AS SELECT * FROM public.balances;
CREATE VIEW audit_chain.sites AS SELECT * FROM public.sites;
CREATE VIEW audit_chain.contracts AS SELECT * FROM public.contracts;
CREATE VIEW audit_chain.contract_events AS SELECT * FROM public.contract_events;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cpx_auditor') THEN
    GRANT USAGE ON SCHEMA audit_chain TO cpx_auditor;
    GRANT SELECT ON ALL TABLES IN SCHEMA audit_chain TO cpx_auditor;
  END IF;
END $$;
