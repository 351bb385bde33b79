-- Indexes every settled row paid for that the ledger's own queries do not need (docs/ledger.md,
-- "Indexes"): an account's trades are found through its postings (index on account and batch),
-- and orders are read whole or by id. Without them settlement runs about a quarter faster.
DROP INDEX trades_bid_account;
DROP INDEX trades_ask_account;
DROP INDEX orders_account;
