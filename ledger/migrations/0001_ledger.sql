-- The settlement ledger's tables (docs/ledger.md). Settled rows are append-only: triggers
-- refuse UPDATE and DELETE on trades, postings and settlement batches.

CREATE TABLE accounts (
  account     text PRIMARY KEY,
  role        text NOT NULL CHECK (role IN ('enterprise', 'provider', 'auditor', 'operator')),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- One transaction of the ledger writer: the trades it settled, chained by hash to the batch
-- before it, and the last engine sequence number it covers.
CREATE TABLE settlement_batches (
  batch_id    bigint PRIMARY KEY,
  first_seq   bigint NOT NULL,
  last_seq    bigint NOT NULL,
  trade_count integer NOT NULL,
  prev_hash   bytea NOT NULL,
  hash        bytea NOT NULL,
  settled_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE trades (
  trade_id     bigint PRIMARY KEY,
  seq          bigint NOT NULL,
  batch_id     bigint NOT NULL REFERENCES settlement_batches,
  chip         text NOT NULL,
  region       text NOT NULL,
  price        numeric(20, 4) NOT NULL CHECK (price > 0),
  qty          numeric(20, 3) NOT NULL CHECK (qty > 0),
  notional     numeric(30, 7) NOT NULL,
  aggressor    text NOT NULL CHECK (aggressor IN ('bid', 'ask')),
  bid_account  text NOT NULL,
  bid_order    text NOT NULL,
  ask_account  text NOT NULL,
  ask_order    text NOT NULL,
  traded_at    timestamptz NOT NULL
);
CREATE INDEX trades_chip_time ON trades (chip, traded_at);
CREATE INDEX trades_bid_account ON trades (bid_account, trade_id);
CREATE INDEX trades_ask_account ON trades (ask_account, trade_id);

-- Double entry: every trade's postings sum to zero (debits negative, credits positive).
CREATE TABLE postings (
  posting_id  bigserial PRIMARY KEY,
  batch_id    bigint NOT NULL REFERENCES settlement_batches,
  trade_id    bigint REFERENCES trades,
  account     text NOT NULL,
  kind        text NOT NULL,
  amount      numeric(30, 7) NOT NULL
);
CREATE INDEX postings_account ON postings (account, posting_id);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the ledger is append-only: % on % is refused', TG_OP, TG_TABLE_NAME;
END $$;

CREATE TRIGGER trades_append_only BEFORE UPDATE OR DELETE ON trades
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER batches_append_only BEFORE UPDATE OR DELETE ON settlement_batches
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
