-- Never a repeat, also between episodes that overlap: the messages an episode kept are covered
-- for the podcast's other episodes while it is completed *or still being made* (pending,
-- content_collected, processing), not only once it completed. Before, an episode started while
-- another of the same podcast was running (a scheduled slot beside a manual run) took its
-- window from the last completed episode and told the running one's stories again. A failed or
-- skipped episode still covers nothing. The same statuses as chalicelib.domain.COVERING.
-- Both functions are restated whole (create or replace), with only the status test changed.

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
            where m.podcast_id = p_podcast_id
              and e.status in ('completed', 'pending', 'content_collected', 'processing')
              and m.episode_id <> p_exclude
              and m.message_date >= coalesce(p_start, '-infinity')
              and m.message_date < coalesce(p_end, 'infinity')
            order by m.message_date, m.channel, m.message_id
            limit p_limit;
    else
        return query
            select m.channel, m.message_id, m.message_date
            from public.episode_messages as m
            join public.episodes as e on e.id = m.episode_id
            where m.podcast_id = p_podcast_id
              and e.status in ('completed', 'pending', 'content_collected', 'processing')
              and m.episode_id <> p_exclude
              and (m.message_date, m.channel, m.message_id) > (p_after_date, p_after_channel, p_after_id)
              and m.message_date < coalesce(p_end, 'infinity')
            order by m.message_date, m.channel, m.message_id
            limit p_limit;
    end if;
end;
$$;

create or replace function public.episode_messages_covered_elsewhere(p_episode_id uuid)
returns bigint
language sql stable set search_path = pg_catalog, public as $$
    select count(*) from public.episode_messages as m
    where m.episode_id = p_episode_id and exists (
        select 1 from public.episode_messages as o
        join public.episodes as e on e.id = o.episode_id
        where o.podcast_id = m.podcast_id and o.channel = m.channel
          and o.message_id = m.message_id and o.episode_id <> m.episode_id
          and e.status in ('completed', 'pending', 'content_collected', 'processing'))
$$;

-- create or replace keeps the grants: execute stays with service_role only.
