-- Podcasts that run themselves: the settings an admin edits over the API, the schedule's state,
-- and the same rules chalicelib/podcasts.py checks, here in the database, so no client (a psql
-- session, the Supabase dashboard, another tool) can write a podcast the workflow cannot run.

alter table public.podcasts
    drop column if exists frequency_days,  -- replaced by schedule
    add column if not exists description    text not null default '',
    add column if not exists author         text not null default '',
    add column if not exists category       text not null default 'News',
    add column if not exists explicit       boolean not null default false,
    add column if not exists image          text,
    add column if not exists script_style   text,
    add column if not exists target_minutes integer,
    add column if not exists schedule       jsonb,
    add column if not exists next_run_at    timestamptz,
    add column if not exists archived_at    timestamptz,
    add column if not exists version        integer not null default 1 check (version >= 1);

-- The scheduler's one query per tick: due, not paused, not archived, earliest first.
create index if not exists podcasts_due on public.podcasts (next_run_at)
    where next_run_at is not null and not paused and archived_at is null;
-- GET /podcasts/{id}/episodes: newest first, keyset-paginated on (created_at, id).
create index if not exists episodes_podcast_created_id
    on public.episodes (podcast_id, created_at desc, id desc);

-- What is wrong with a podcast row, in the validator's words, or null.
create or replace function public.podcast_problem(p public.podcasts) returns text
language plpgsql stable set search_path = pg_catalog, public as $$
declare
    item jsonb;
    n integer;
    voice record;
    days text[];
    control constant text := '[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]';
    control_or_lines constant text := '[\u0001-\u001f\u007f-\u009f]';
begin
    if p.id !~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' then
        return 'id must be 1-64 characters of letters, digits, ''-'' or ''_''';
    end if;
    if btrim(p.title) = '' or char_length(p.title) > 200 or p.title ~ control_or_lines then
        return 'title must be 1-200 characters without control characters';
    end if;
    if char_length(p.description) > 4000 or p.description ~ control then
        return 'description must be at most 4000 characters without control characters';
    end if;
    if char_length(p.author) > 200 or p.author ~ control_or_lines then
        return 'author must be at most 200 characters without control characters';
    end if;
    if p.script_style is not null and (char_length(p.script_style) > 1000 or p.script_style ~ control) then
        return 'script_style must be at most 1000 characters without control characters';
    end if;
    if p.language not in ('en', 'he') then return 'language must be one of en, he'; end if;
    if p.format not in ('dialogue', 'narrator') then return 'format must be one of dialogue, narrator'; end if;
    if p.category not in ('Arts', 'Business', 'Comedy', 'Education', 'Fiction', 'Government',
            'Health & Fitness', 'History', 'Kids & Family', 'Leisure', 'Music', 'News',
            'Religion & Spirituality', 'Science', 'Society & Culture', 'Sports', 'Technology',
            'True Crime', 'TV & Film') then
        return 'category must be one of Apple Podcasts'' categories';
    end if;
    if p.target_minutes is not null and p.target_minutes not between 1 and 180 then
        return 'target_minutes must be a whole number from 1 to 180, or null';
    end if;
    if p.days_back is not null and p.days_back not between 1 and 366 then
        return 'days_back must be a whole number from 1 to 366, or null';
    end if;
    if p.image is not null
       and p.image !~ '^podcasts/[A-Za-z0-9][A-Za-z0-9_-]{0,63}/cover\.(jpg|png)$'
       and (p.image !~ '^https://[^[:space:]]+$' or char_length(p.image) > 2048 or p.image ~ control_or_lines) then
        return 'image must be an https:// URL of at most 2048 characters, or null';
    end if;

    -- hosts: at most two objects {name, role?, voices?}, names distinct
    if jsonb_typeof(p.hosts) <> 'array' or jsonb_array_length(p.hosts) > 2 then
        return 'hosts must be a list of at most 2 hosts';
    end if;
    for item in select value from jsonb_array_elements(p.hosts) loop
        if jsonb_typeof(item) <> 'object' or exists (
               select 1 from jsonb_object_keys(item) k where k not in ('name', 'role', 'voices'))
           or jsonb_typeof(item -> 'name') is distinct from 'string'
           or btrim(item ->> 'name') = '' or char_length(item ->> 'name') > 60
           or (item ->> 'name') ~ control_or_lines
           or (item ? 'role' and jsonb_typeof(item -> 'role') <> 'null' and (
                   jsonb_typeof(item -> 'role') <> 'string' or btrim(item ->> 'role') = ''
                   or char_length(item ->> 'role') > 60 or (item ->> 'role') ~ control_or_lines))
           or (item ? 'voices' and jsonb_typeof(item -> 'voices') <> 'object') then
            return 'hosts must be objects with a name of 1-60 characters';
        end if;
        if item ? 'voices' then
            for voice in select key, value from jsonb_each(item -> 'voices') loop
                if voice.key not in ('espeak', 'polly', 'gemini') or jsonb_typeof(voice.value) <> 'string'
                   or (voice.value #>> '{}') !~ '^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,63}$' then
                    return 'hosts[].voices must map a speech provider to a voice name';
                end if;
            end loop;
        end if;
    end loop;
    if (select count(distinct lower(btrim(value ->> 'name'))) from jsonb_array_elements(p.hosts))
       <> jsonb_array_length(p.hosts) then
        return 'hosts must have different names';
    end if;

    -- sources: 1-20 channel labels as the validator stores them (@name, -100<id>), distinct,
    -- or one Telegram Desktop export {export, chat}
    if jsonb_typeof(p.sources) <> 'array' or jsonb_array_length(p.sources) not between 1 and 20 then
        return 'sources must be a list of 1-20 Telegram channels';
    end if;
    for item in select value from jsonb_array_elements(p.sources) loop
        if jsonb_typeof(item) = 'string' then
            if (item #>> '{}') !~ '^(@[A-Za-z][A-Za-z0-9_]{4,31}|-1[0-9]{12})$' then
                return 'sources must be Telegram channels as @username or -100<id>';
            end if;
        elsif jsonb_typeof(item) = 'object' then
            if jsonb_array_length(p.sources) <> 1
               or exists (select 1 from jsonb_object_keys(item) k where k not in ('export', 'chat'))
               or jsonb_typeof(item -> 'export') is distinct from 'string' or (item ->> 'export') = ''
               or coalesce(jsonb_typeof(item -> 'chat'), 'null') not in ('null', 'string', 'number') then
                return 'sources: an export is {"export": <path>, "chat": <name, id or null>} and the only source';
            end if;
        else
            return 'sources must be Telegram channels as @username or -100<id>';
        end if;
    end loop;
    if (select count(distinct lower(value #>> '{}')) from jsonb_array_elements(p.sources))
       <> jsonb_array_length(p.sources) then
        return 'sources must not list a channel twice';
    end if;

    -- schedule: null, or {at, timezone, days | every_days + starting}
    if p.schedule is not null then
        if jsonb_typeof(p.schedule) <> 'object'
           or exists (select 1 from jsonb_object_keys(p.schedule) k
                      where k not in ('at', 'timezone', 'days', 'every_days', 'starting')) then
            return 'schedule must be an object of at, timezone and days or every_days';
        end if;
        if jsonb_typeof(p.schedule -> 'at') is distinct from 'string'
           or (p.schedule ->> 'at') !~ '^([01][0-9]|2[0-3]):[0-5][0-9]$' then
            return 'schedule.at must be a time of day as HH:MM';
        end if;
        if jsonb_typeof(p.schedule -> 'timezone') is distinct from 'string'
           or (p.schedule ->> 'timezone') !~ '^[A-Za-z][A-Za-z0-9_+-]{0,30}(/[A-Za-z0-9_+-]{1,30}){0,2}$' then
            return 'schedule.timezone must be an IANA time zone name';
        end if;
        -- Asked of the time zone database directly: reading pg_timezone_names instead scans
        -- every zone file, tens of milliseconds per row.
        begin
            perform now() at time zone (p.schedule ->> 'timezone');
        exception when others then
            return 'schedule.timezone must be an IANA time zone name';
        end;
        if p.schedule ? 'days' and p.schedule ? 'every_days' then
            return 'schedule.days and schedule.every_days cannot both be given';
        end if;
        if p.schedule ? 'days' then
            if jsonb_typeof(p.schedule -> 'days') <> 'array' then
                return 'schedule.days must be a list of 1-7 days';
            end if;
            select array_agg(value #>> '{}') into days from jsonb_array_elements(p.schedule -> 'days');
            n := coalesce(array_length(days, 1), 0);
            if n not between 1 and 7 or exists (
                   select 1 from unnest(days) d
                   where d is null or d not in ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')) then
                return 'schedule.days must be a list of 1-7 days from mon, tue, wed, thu, fri, sat, sun';
            end if;
        end if;
        if p.schedule ? 'every_days' then
            if jsonb_typeof(p.schedule -> 'every_days') <> 'number'
               or (p.schedule ->> 'every_days') !~ '^[0-9]+$'
               or (p.schedule ->> 'every_days')::numeric not between 1 and 366 then
                return 'schedule.every_days must be a whole number from 1 to 366';
            end if;
            if jsonb_typeof(p.schedule -> 'starting') is distinct from 'string'
               or (p.schedule ->> 'starting') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then
                return 'schedule.starting must be a date as YYYY-MM-DD';
            end if;
            begin
                perform (p.schedule ->> 'starting')::date;
            exception when others then
                return 'schedule.starting must be a date as YYYY-MM-DD';
            end;
        elsif p.schedule ? 'starting' then
            return 'schedule.starting goes only with schedule.every_days';
        end if;
    end if;
    return null;
end;
$$;

create or replace function public.podcasts_valid() returns trigger
language plpgsql set search_path = pg_catalog, public as $$
declare
    problem text := public.podcast_problem(new);
begin
    if problem is not null then
        raise exception 'invalid podcast: %', problem using errcode = 'check_violation';
    end if;
    return new;
end;
$$;

drop trigger if exists podcasts_valid on public.podcasts;
create trigger podcasts_valid before insert or update on public.podcasts
for each row execute function public.podcasts_valid();
