-- What some networks score besides counts: an account's own score (Reddit's karma), and the
-- share of a post's votes that are up (Reddit's upvote ratio, 0..1).
ALTER TABLE account_metrics ADD COLUMN score INTEGER;
ALTER TABLE metrics ADD COLUMN upvote_ratio REAL;
