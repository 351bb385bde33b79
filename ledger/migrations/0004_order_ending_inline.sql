-- An order that ends in the batch that accepted it (an IOC order, most often) carries its ending
-- in its own row instead of a row of order_endings: one settled row fewer for such an order
-- (docs/ledger.md, "Tables"). The five columns are all set or all NULL. The canonical text and
-- the hash chain do not change: an ending hashes the same wherever it is stored.
ALTER TABLE orders
  ADD COLUMN end_seq bigint,
  ADD COLUMN end_reason text,
  ADD COLUMN end_price numeric(20, 4),
  ADD COLUMN filled_qty numeric(20, 3),
  ADD COLUMN ended_ms bigint,
  ADD CONSTRAINT orders_ending_whole CHECK (
    num_nulls(end_seq, end_reason, end_price, filled_qty, ended_ms) IN (0, 5));

CREATE OR REPLACE VIEW audit.orders AS
  SELECT o.order_id, o.seq, o.batch_id, o.account, o.client_order_id, o.side, o.chip, o.region,
         o.tif, o.urgency, o.price AS placed_price, o.qty, o.accepted_ms,
         to_timestamp(o.accepted_ms / 1000.0) AS accepted_at,
         coalesce(o.end_reason, e.reason, 'open') AS status,
         coalesce(o.end_price, e.price) AS final_price,
         coalesce(o.filled_qty, e.filled_qty) AS filled_qty,
         coalesce(o.ended_ms, e.ended_ms) AS ended_ms,
         to_timestamp(coalesce(o.ended_ms, e.ended_ms) / 1000.0) AS ended_at
  FROM public.orders o LEFT JOIN public.order_endings e ON e.order_id = o.order_id;
