-- Networks that schedule posts themselves (Facebook Pages, with --opt native_schedule=true): the
-- delivery may be handed to the network this many seconds before it is due, and the network
-- publishes it at its time. NULL: crier's own queue publishes it then.
ALTER TABLE deliveries ADD COLUMN native_lead INTEGER;
CREATE INDEX deliveries_native_by_due ON deliveries (status, due_at) WHERE native_lead IS NOT NULL;
