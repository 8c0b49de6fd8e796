-- 0005: what reconcile and pacing need to be exact.
-- first_attempt_at: when the first attempt of a delivery began. A reconcile accepts only a
-- remote post created after it (less a small clock skew): an earlier post with the same text
-- belongs to another delivery. last_attempt_at: when the latest attempt began.
ALTER TABLE deliveries ADD COLUMN first_attempt_at INTEGER;
ALTER TABLE deliveries ADD COLUMN last_attempt_at INTEGER;
-- An account the network has rate limited: none of its deliveries is claimed before this time,
-- so waiting for a window to reset costs no attempts.
ALTER TABLE accounts ADD COLUMN rate_limited_until INTEGER;
-- Looking up a remote id (reconcile: "is this post already another delivery's?", inbox
-- threading) without walking the whole table.
CREATE INDEX deliveries_by_remote_id ON deliveries (account_id, remote_id);
-- 1 while an attempt may have reached the network without crier learning what it did (a
-- timeout, a 5xx, a dropped answer, a worker killed mid-call). Only a finished reconcile clears
-- it, so a later attempt that fails another way (a rate limit, an expired token) cannot make the
-- next one publish blind.
ALTER TABLE deliveries ADD COLUMN outcome_unknown INTEGER NOT NULL DEFAULT 0;
UPDATE deliveries SET outcome_unknown = 1
  WHERE last_error_kind = 'transient' AND status IN ('queued', 'publishing', 'dead');
-- Every part of a published thread, in order: JSON [{"id": ..., "url": ...}]; the root is also
-- in remote_id / remote_url.
ALTER TABLE deliveries ADD COLUMN remote_parts TEXT NOT NULL DEFAULT '[]';
