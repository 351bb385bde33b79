-- An account's postings are found through its balances instead of a B-tree of their own
-- (docs/ledger.md, "Indexes"). Every batch that posts to an account also writes that account's
-- balance row (`cpx-audit verify` checks it), and balances are keyed by (account, batch_id): an
-- account's batches come from that key, and each batch's postings from the block-range index by
-- batch. The B-tree on postings (account, batch_id) cost two index inserts per trade, a third
-- of PostgreSQL's work in settlement.
DROP INDEX postings_account;
-- Smaller block ranges, so that finding one small batch's postings reads 32 pages, not 128; and
-- ranges summarized as they fill (by autovacuum), so that the newest postings and trades are not
-- read by every lookup until the table's next vacuum.
DROP INDEX postings_batch;
CREATE INDEX postings_batch ON postings USING brin (batch_id)
  WITH (pages_per_range = 32, autosummarize = on);
ALTER INDEX trades_time SET (autosummarize = on);
