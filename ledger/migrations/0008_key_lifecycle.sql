-- Keys' lifecycle (docs/api.md, "Accounts and keys"): an expiry given at creation, and the
-- revocation by an operator, so that a start from the ledger alone neither revives a revoked
-- key nor lets an expired one work. Like the keys themselves, not part of the hash chain.
ALTER TABLE api_keys ADD COLUMN expires_ms bigint;
ALTER TABLE api_keys ADD COLUMN revoked_ms bigint;
