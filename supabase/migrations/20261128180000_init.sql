-- podcasto: podcasts, episodes and their status history.
--
-- The database itself enforces the episode status rules, whoever the client is (the Lambda
-- tasks with the service_role key, the admin panel, a psql session):
--   * status is one of five values (CHECK);
--   * an episode is born 'pending' at attempt 1, and its status only moves forward
--     (BEFORE trigger episodes_guard), the same moves as chalicelib.domain.FORWARD_TRANSITIONS;
--   * 'failed' -> 'pending' happens only through retry_episode(): a SECURITY DEFINER function
--     that raises a transaction-local flag (podcasto.retry) and increments attempt_count. The
--     trigger accepts the move only with the flag raised, by the function's owner (which is who
--     runs inside a SECURITY DEFINER function) and with attempt_count + 1. PostgREST clients
--     cannot set that flag, and the service_role is not the owner;
--   * every status change, creation included, appends one episode_status_history row (AFTER
--     trigger), so every client gets history. Its detail is episodes.status_detail, which a
--     client writes together with the status;
--   * created_at / updated_at are set by the database, whatever the client sends.
--
-- The Supabase roles (anon, authenticated, service_role, authenticator) already exist on
-- Supabase; scripts/supabase_stack.sh creates them for the local stack before migrations.

create table public.podcasts (
    id             text primary key check (id ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'),
    title          text not null,
    language       text not null default 'en' check (language in ('en', 'he')),
    format         text not null default 'dialogue' check (format in ('dialogue', 'narrator')),
    -- [{"name": ..., "role": ...}]
    hosts          jsonb not null default '[]' check (jsonb_typeof(hosts) = 'array'),
    -- Telegram channels ("@name", "t.me/...", numeric ids) or {"export": ..., "chat": ...}
    sources        jsonb not null default '[]' check (jsonb_typeof(sources) = 'array'),
    days_back      integer check (days_back is null or days_back > 0),
    frequency_days integer check (frequency_days is null or frequency_days > 0),
    paused         boolean not null default false,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now()
);

create table public.episodes (
    id               uuid primary key default gen_random_uuid(),
    podcast_id       text not null references public.podcasts (id),
    status           text not null default 'pending' check (
                         status in ('pending', 'content_collected', 'processing', 'completed', 'failed')),
    language         text not null check (language in ('en', 'he')),
    format           text not null check (format in ('dialogue', 'narrator')),
    window_start     timestamptz,  -- inclusive
    window_end       timestamptz,  -- exclusive
    content_key      text,
    content_etag     text,
    audio_key        text,
    duration_seconds double precision check (duration_seconds is null or duration_seconds >= 0),
    transcript_key   text,
    execution_id     text,
    error            text,
    cause            text,
    failed_state     text,
    attempt_count    integer not null default 1 check (attempt_count >= 1),
    idempotency_key  text,
    status_detail    text,  -- detail of the latest status change, copied into the history
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    constraint episodes_window_order check (
        window_start is null or window_end is null or window_end > window_start),
    constraint episodes_idempotency_key_per_podcast unique (podcast_id, idempotency_key)
);
create index episodes_podcast_created on public.episodes (podcast_id, created_at desc);
create index episodes_status on public.episodes (status);

create table public.episode_status_history (
    id           bigint generated always as identity primary key,
    episode_id   uuid not null references public.episodes (id) on delete cascade,
    from_status  text,
    to_status    text not null,
    at           timestamptz not null default clock_timestamp(),
    execution_id text,
    detail       text
);
create index episode_status_history_episode on public.episode_status_history (episode_id, id);

-- ---------------------------------------------------------------------------------------------
create function public.podcasts_touch() returns trigger
language plpgsql set search_path = pg_catalog, public as $$
begin
    if tg_op = 'INSERT' then
        new.created_at := now();
    else
        new.created_at := old.created_at;
    end if;
    new.updated_at := now();
    return new;
end;
$$;

create trigger podcasts_touch before insert or update on public.podcasts
for each row execute function public.podcasts_touch();

create function public.episodes_guard() returns trigger
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
           ('content_collected', 'failed'), ('processing', 'failed'))
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

create trigger episodes_guard before insert or update on public.episodes
for each row execute function public.episodes_guard();

-- SECURITY DEFINER: clients only read the history; the database writes it.
create function public.episodes_record_history() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
    if tg_op = 'INSERT' then
        insert into public.episode_status_history (episode_id, from_status, to_status, at,
                                                   execution_id, detail)
        values (new.id, null, new.status, new.created_at, new.execution_id, new.status_detail);
    elsif new.status is distinct from old.status then
        insert into public.episode_status_history (episode_id, from_status, to_status,
                                                   execution_id, detail)
        values (new.id, old.status, new.status, new.execution_id, new.status_detail);
    end if;
    return null;
end;
$$;

create trigger episodes_record_history after insert or update of status on public.episodes
for each row execute function public.episodes_record_history();

-- The admin API's explicit retry: failed -> pending as a new attempt. Returns the episode, or
-- no row when it was not failed (the caller reads the current status for its conflict).
create function public.retry_episode(p_episode_id uuid, p_detail text default null)
returns setof public.episodes
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
    perform set_config('podcasto.retry', 'on', true);
    return query
        update public.episodes as e
        set status = 'pending', attempt_count = e.attempt_count + 1, error = null, cause = null,
            failed_state = null, execution_id = null, status_detail = p_detail
        where e.id = p_episode_id and e.status = 'failed'
        returning e.*;
    perform set_config('podcasto.retry', 'off', true);
end;
$$;

-- ---------------------------------------------------------------------------------------------
-- Row level security on, no policies: anon and authenticated see nothing; the service_role
-- (BYPASSRLS) used by the Lambda tasks and the admin API does the work.
alter table public.podcasts enable row level security;
alter table public.episodes enable row level security;
alter table public.episode_status_history enable row level security;

revoke all on public.podcasts, public.episodes, public.episode_status_history
    from anon, authenticated;
grant select, insert, update, delete on public.podcasts, public.episodes to service_role;
-- History is append-only and written by the database: Supabase's default privileges give the
-- service_role everything on new tables, so take the writes back.
revoke insert, update, delete, truncate on public.episode_status_history from service_role;
grant select on public.episode_status_history to service_role;

revoke execute on function public.retry_episode(uuid, text) from public, anon, authenticated;
grant execute on function public.retry_episode(uuid, text) to service_role;
