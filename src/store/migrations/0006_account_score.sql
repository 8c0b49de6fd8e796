-- The network's own score of an account (Reddit's karma), where it keeps one.
ALTER TABLE account_metrics ADD COLUMN score INTEGER;
