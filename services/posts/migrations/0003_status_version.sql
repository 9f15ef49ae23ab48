-- Every change to a status row bumps its version, so the Redis cache can refuse an older copy
-- arriving after a newer one (concurrent writers and readers race to refill it).
ALTER TABLE statuses ADD COLUMN version bigint NOT NULL DEFAULT 1;

CREATE FUNCTION bump_status_version() RETURNS trigger AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER statuses_version BEFORE UPDATE ON statuses
    FOR EACH ROW EXECUTE FUNCTION bump_status_version();
