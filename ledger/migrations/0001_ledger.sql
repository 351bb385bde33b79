-- The settlement ledger's tables (docs/ledger.md). Every settled row belongs to one settlement
-- batch, and every batch is chained by SHA-256 to the one before it. Settled rows are
-- append-only: triggers refuse UPDATE and DELETE. Times are milliseconds since the epoch, as
-- the engine keeps them; the views show them as timestamptz. There are no foreign keys: they
-- cost a trigger call per settled row, and `cpx-audit verify` checks that every row belongs to
-- a batch of the chain instead.

-- One transaction of the ledger writer: the engine commands it settled (first_seq..last_seq,
-- every command whole), and the hash chaining it to the batch before it.
CREATE TABLE settlement_batches (
  batch_id    bigint PRIMARY KEY,
  first_seq   bigint NOT NULL,
  last_seq    bigint NOT NULL,
  trade_count integer NOT NULL,
  prev_hash   bytea NOT NULL,
  hash        bytea NOT NULL,
  settled_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE accounts (
  account     text PRIMARY KEY,
  role        text NOT NULL CHECK (role IN ('enterprise', 'provider', 'auditor', 'operator')),
  seq         bigint NOT NULL,
  batch_id    bigint NOT NULL
);

-- Every order the engine accepted, as placed.
CREATE TABLE orders (
  order_id        bigint PRIMARY KEY,
  seq             bigint NOT NULL,
  batch_id        bigint NOT NULL,
  account         text NOT NULL,
  client_order_id text NOT NULL,
  side            text NOT NULL CHECK (side IN ('bid', 'ask')),
  chip            text NOT NULL,
  region          text NOT NULL,
  tif             text NOT NULL,
  urgency         text NOT NULL,
  price           numeric(20, 4) NOT NULL,
  qty             numeric(20, 3) NOT NULL,
  accepted_ms     bigint NOT NULL
);
CREATE INDEX orders_account ON orders (account, order_id);

-- How each order ended (its final state): filled, canceled, expired, killed, or restart (open
-- when the server stopped; its hold released).
CREATE TABLE order_endings (
  order_id    bigint PRIMARY KEY,
  seq         bigint NOT NULL,
  batch_id    bigint NOT NULL,
  reason      text NOT NULL,
  price       numeric(20, 4) NOT NULL,
  filled_qty  numeric(20, 3) NOT NULL,
  ended_ms    bigint NOT NULL
);

CREATE TABLE trades (
  trade_id      bigint PRIMARY KEY,
  seq           bigint NOT NULL,
  batch_id      bigint NOT NULL,
  chip          text NOT NULL,
  region        text NOT NULL,
  price         numeric(20, 4) NOT NULL CHECK (price > 0),
  qty           numeric(20, 3) NOT NULL CHECK (qty > 0),
  notional      numeric(30, 7) NOT NULL,
  aggressor     text NOT NULL CHECK (aggressor IN ('bid', 'ask')),
  bid_account   text NOT NULL,
  bid_order_id  bigint NOT NULL,
  ask_account   text NOT NULL,
  ask_order_id  bigint NOT NULL,
  traded_ms     bigint NOT NULL
);
CREATE INDEX trades_chip_time ON trades (chip, traded_ms);
CREATE INDEX trades_bid_account ON trades (bid_account, trade_id);
CREATE INDEX trades_ask_account ON trades (ask_account, trade_id);

-- Double entry. Each account has the books 'available' and 'held' (its balance is their sum)
-- and 'deposits' (money brought in from outside, negative). Every command's postings sum to
-- zero: deposits move money from 'deposits' to 'available', a bid's hold from 'available' to
-- 'held', a trade from the buyer's 'held' to the provider's 'available' (and the part of the
-- hold the trade's price did not need back to the buyer's 'available').
CREATE TABLE postings (
  batch_id    bigint NOT NULL,
  line        integer NOT NULL,
  seq         bigint NOT NULL,
  trade_id    bigint,
  order_id    bigint,
  account     text NOT NULL,
  book        text NOT NULL CHECK (book IN ('available', 'held', 'deposits')),
  kind        text NOT NULL CHECK (kind IN ('deposit', 'hold', 'amend', 'trade', 'release')),
  amount      numeric(30, 7) NOT NULL CHECK (amount <> 0),
  PRIMARY KEY (batch_id, line)
);
CREATE INDEX postings_account ON postings (account, batch_id);

-- Each account's balance after every batch that moved it.
CREATE TABLE balances (
  account     text NOT NULL,
  batch_id    bigint NOT NULL,
  available   numeric(30, 7) NOT NULL,
  held        numeric(30, 7) NOT NULL,
  PRIMARY KEY (account, batch_id)
);

-- API keys, so that accounts keep their keys across restarts. Not part of the hash chain, and
-- never readable by the auditor role.
CREATE TABLE api_keys (
  key_id      text PRIMARY KEY,
  account     text NOT NULL,
  secret      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the ledger is append-only: % on % is refused', TG_OP, TG_TABLE_NAME;
END $$;

CREATE TRIGGER batches_append_only BEFORE UPDATE OR DELETE ON settlement_batches
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER accounts_append_only BEFORE UPDATE OR DELETE ON accounts
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER orders_append_only BEFORE UPDATE OR DELETE ON orders
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER order_endings_append_only BEFORE UPDATE OR DELETE ON order_endings
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER trades_append_only BEFORE UPDATE OR DELETE ON trades
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER balances_append_only BEFORE UPDATE OR DELETE ON balances
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
