-- A podcast may choose its speech engine; NULL keeps the deployment's per-language setting.
alter table public.podcasts
    add column if not exists speech_provider text
        check (speech_provider is null or speech_provider in ('espeak', 'polly', 'gemini'));
