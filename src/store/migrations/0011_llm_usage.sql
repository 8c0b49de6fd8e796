-- crier usage and the daily budget read the model calls of a window.
CREATE INDEX llm_calls_by_time ON llm_calls (created_at);
