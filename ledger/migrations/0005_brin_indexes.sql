-- Block-range (BRIN) indexes instead of B-trees where rows arrive in the order they are looked
-- up by (docs/ledger.md, "Indexes"): a BRIN index costs a settled row almost nothing, a B-tree
-- a descent and an insert. Postings by batch (the check reads batches in ranges): a batch's
-- postings are unique through the batch's own key, which one transaction writes with them.
-- Trades by time (candles, time filters): trades are settled in time order.
ALTER TABLE postings DROP CONSTRAINT postings_pkey;
CREATE INDEX postings_batch ON postings USING brin (batch_id);
DROP INDEX trades_chip_time;
CREATE INDEX trades_time ON trades USING brin (traded_ms);
