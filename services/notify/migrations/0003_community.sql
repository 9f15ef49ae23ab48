-- Hubbub's community notifications name their community.
ALTER TABLE notifications ADD COLUMN community_id bigint;
