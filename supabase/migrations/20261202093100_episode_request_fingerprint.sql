-- A digest of the request that used an episode's Idempotency-Key: the same key with another
-- request is refused (HTTP 422) instead of silently answered with the first episode.
-- NULL for episodes created before it: those keys match any request, as before.
alter table public.episodes
    add column if not exists request_fingerprint text;
