-- Publishing: what a completed episode's feed item needs, kept on the episode so a feed of a
-- thousand episodes renders from one query (the transcript, captions and chapters are files in
-- S3 at keys chalicelib.domain derives from the ids).
alter table public.episodes
    add column if not exists title        text,
    add column if not exists show_notes   text check (show_notes is null or show_notes::jsonb is not null),
    add column if not exists audio_bytes  bigint check (audio_bytes is null or audio_bytes > 0),
    add column if not exists completed_at timestamptz;

-- The publish step's one query: a podcast's completed episodes, newest first.
create index if not exists episodes_podcast_completed
    on public.episodes (podcast_id, completed_at desc, id desc) where status = 'completed';
