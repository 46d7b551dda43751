-- Never a repeat, and nothing new is not a failure.
--
--   * episode_messages: the messages each episode's bundle kept, so a later episode of the same
--     podcast leaves out (as already_covered) what a *completed* one already told. Written only
--     by record_episode_messages() (the podcast id is copied from the episode, never given by a
--     client); clients read it through covered_messages() and
--     episode_messages_covered_elsewhere().
--   * a new terminal status, 'skipped' (pending -> skipped): a window that held nothing new
--     makes no audio, and the execution succeeds. episodes.outcome says why ('nothing_new').
--     The same moves as chalicelib.domain.FORWARD_TRANSITIONS.

alter table public.episodes drop constraint if exists episodes_status_check;
alter table public.episodes add constraint episodes_status_check check (
    status in ('pending', 'content_collected', 'processing', 'completed', 'failed', 'skipped'));
alter table public.episodes
    add column if not exists outcome text check (outcome is null or outcome in ('nothing_new'));

create or replace function public.episodes_guard() returns trigger
language plpgsql set search_path = pg_catalog, public as $$
declare
    retrying boolean;
begin
    if tg_op = 'INSERT' then
        if new.status is distinct from 'pending' or new.attempt_count is distinct from 1 then
            raise exception 'an episode starts pending, attempt 1'
                using errcode = 'check_violation';
        end if;
        new.created_at := now();
        new.updated_at := now();
        return new;
    end if;

    retrying := old.status = 'failed' and new.status = 'pending'
        and new.attempt_count = old.attempt_count + 1
        and coalesce(current_setting('podcasto.retry', true), '') = 'on'
        and current_user = (select pg_get_userbyid(proowner) from pg_proc
                            where oid = 'public.retry_episode(uuid, text)'::regprocedure);

    if new.status is distinct from old.status
       and (old.status, new.status) not in (
           ('pending', 'content_collected'), ('content_collected', 'processing'),
           ('processing', 'completed'), ('pending', 'failed'),
           ('content_collected', 'failed'), ('processing', 'failed'),
           ('pending', 'skipped'))
       and not retrying then
        raise exception 'illegal status transition % -> %', old.status, new.status
            using errcode = 'check_violation';
    end if;
    if new.attempt_count is distinct from old.attempt_count and not retrying then
        raise exception 'attempt_count changes only with retry_episode()'
            using errcode = 'check_violation';
    end if;
    new.id := old.id;
    new.created_at := old.created_at;
    new.updated_at := now();
    return new;
end;
$$;

-- ---------------------------------------------------------------------------------------------
create table if not exists public.episode_messages (
    podcast_id   text not null references public.podcasts (id),
    channel      text not null,
    message_id   bigint not null,
    episode_id   uuid not null references public.episodes (id) on delete cascade,
    message_date timestamptz not null,
    -- A message is looked up across the podcast's episodes by this key's prefix.
    primary key (podcast_id, channel, message_id, episode_id)
);
-- covered_messages(): the podcast's messages inside a window, read in (date, channel, id)
-- order, so each keyset page starts right where the previous one ended.
create index if not exists episode_messages_podcast_date
    on public.episode_messages (podcast_id, message_date, channel, message_id);
-- record_episode_messages() replaces an episode's rows; the cascade from episodes deletes them.
create index if not exists episode_messages_episode on public.episode_messages (episode_id);

-- Replace (p_replace) or extend an episode's kept messages with p_messages, a JSON array of
-- {channel, message_id, message_date}. The store sends a long list in chunks, the first one
-- replacing. Returns how many rows were written, or null when there is no such episode.
create or replace function public.record_episode_messages(
    p_episode_id uuid, p_messages jsonb, p_replace boolean default true)
returns integer
language plpgsql security definer set search_path = pg_catalog, public as $$
declare
    v_podcast text;
    written integer;
begin
    select podcast_id into v_podcast from public.episodes where id = p_episode_id;
    if v_podcast is null then
        return null;
    end if;
    if p_replace then
        delete from public.episode_messages where episode_id = p_episode_id;
    end if;
    insert into public.episode_messages (podcast_id, channel, message_id, episode_id, message_date)
    select v_podcast, m.channel, m.message_id, p_episode_id, m.message_date
    from jsonb_to_recordset(p_messages) as m(channel text, message_id bigint, message_date timestamptz)
    on conflict do nothing;
    get diagnostics written = row_count;
    return written;
end;
$$;

-- (channel, message_id, message_date) of the messages dated in [p_start, p_end) (null: open)
-- that a completed episode of the podcast other than p_exclude kept: one page of p_limit rows
-- after the keyset (p_after_date, p_after_channel, p_after_id), because PostgREST caps the rows
-- of one answer (max_rows). No DISTINCT, so the index scan stops after p_limit rows: a message
-- two completed episodes kept comes twice, and the caller's set keeps it once.
-- Two queries, not one with "p_after_date is null or ...": each gives the index scan exactly
-- one lower bound on message_date, so it starts at the window (or the keyset), never at the
-- podcast's first message.
create or replace function public.covered_messages(
    p_podcast_id text, p_exclude uuid, p_start timestamptz, p_end timestamptz,
    p_after_date timestamptz default null, p_after_channel text default null,
    p_after_id bigint default null, p_limit integer default 1000)
returns table (channel text, message_id bigint, message_date timestamptz)
language plpgsql stable set search_path = pg_catalog, public as $$
#variable_conflict use_column
begin
    if p_after_date is null then
        return query
            select m.channel, m.message_id, m.message_date
            from public.episode_messages as m
            join public.episodes as e on e.id = m.episode_id
            where m.podcast_id = p_podcast_id and e.status = 'completed' and m.episode_id <> p_exclude
              and m.message_date >= coalesce(p_start, '-infinity')
              and m.message_date < coalesce(p_end, 'infinity')
            order by m.message_date, m.channel, m.message_id
            limit p_limit;
    else
        return query
            select m.channel, m.message_id, m.message_date
            from public.episode_messages as m
            join public.episodes as e on e.id = m.episode_id
            where m.podcast_id = p_podcast_id and e.status = 'completed' and m.episode_id <> p_exclude
              and (m.message_date, m.channel, m.message_id) > (p_after_date, p_after_channel, p_after_id)
              and m.message_date < coalesce(p_end, 'infinity')
            order by m.message_date, m.channel, m.message_id
            limit p_limit;
    end if;
end;
$$;

-- How many of an episode's kept messages a completed episode of the same podcast, other than
-- it, kept too: a retried episode whose collected content a later episode made stale.
create or replace function public.episode_messages_covered_elsewhere(p_episode_id uuid)
returns bigint
language sql stable set search_path = pg_catalog, public as $$
    select count(*) from public.episode_messages as m
    where m.episode_id = p_episode_id and exists (
        select 1 from public.episode_messages as o
        join public.episodes as e on e.id = o.episode_id
        where o.podcast_id = m.podcast_id and o.channel = m.channel
          and o.message_id = m.message_id and o.episode_id <> m.episode_id
          and e.status = 'completed')
$$;

-- Row level security on, no policies (as for the other tables); the service_role reads, and
-- writes only through record_episode_messages().
alter table public.episode_messages enable row level security;
revoke all on public.episode_messages from anon, authenticated;
revoke insert, update, delete, truncate on public.episode_messages from service_role;
grant select on public.episode_messages to service_role;

revoke execute on function public.record_episode_messages(uuid, jsonb, boolean) from public, anon, authenticated;
revoke execute on function public.covered_messages(
    text, uuid, timestamptz, timestamptz, timestamptz, text, bigint, integer) from public, anon, authenticated;
revoke execute on function public.episode_messages_covered_elsewhere(uuid) from public, anon, authenticated;
grant execute on function public.record_episode_messages(uuid, jsonb, boolean) to service_role;
grant execute on function public.covered_messages(
    text, uuid, timestamptz, timestamptz, timestamptz, text, bigint, integer) to service_role;
grant execute on function public.episode_messages_covered_elsewhere(uuid) to service_role;
