-- What a provider made on the network on the way to a post, before the post itself: Threads and
-- Instagram containers (created, then published). Kept as soon as it exists, so a retry after a
-- crash publishes the same container rather than a second one. Opaque JSON, the provider's own.
ALTER TABLE deliveries ADD COLUMN progress TEXT NOT NULL DEFAULT '';
