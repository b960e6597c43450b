# shellcheck shell=bash
#
# deploy/lib.sh - shared helpers for deploy/up, deploy/down, deploy/test,
# deploy/services and .ci/run. Source it; do not execute it.
#
# It runs a private Redis, PostgreSQL cluster, Kamailio presence server and
# Kamailio registrar (which publishes Lamplighter's registrations and dialogs
# feeds to that Redis), bound to 127.0.0.1 only, with every data/log/pid file
# under $LL_STATE.
# The distribution's own services (redis on 6379, the "15/main" cluster on
# 5432) are never started nor used.
#
# Stacks (choose with ll_use_stack run|test):
#                     state            Redis  PostgreSQL  Kamailio  registrar
#   run  (deploy/up)  .state/run       16379  15432       15060     15070
#   test (deploy/test) .state/test     26379  25432       25060     25070
# Each value can be overridden with LL_STATE, LL_REDIS_PORT, LL_PG_PORT,
# LL_KAMAILIO_PORT, LL_REGISTRAR_PORT.
#
# Layout of $LL_STATE:
#   env                   export lines for LAMPLIGHTER_* (source it)
#   redis/                redis.conf, redis.pid, redis.log, dump.rdb
#   pg/                   owned by the postgres user: data/, sock/, postgres.log
#                         (sock/ is /tmp/lamplighter-pg-<hash> if the path is
#                         too long for a unix socket)
#   kamailio/             kamailio.pid, kamailio.log, kamailio-check.log
#                         (output of `kamailio -c`), run/ (runtime dir)
#   registrar/            the same for the registrar Kamailio:
#                         registrar.pid, registrar.log, registrar-check.log, run/
#
# PostgreSQL refuses to run as root, so when we are root it runs as the
# "postgres" system user (created by the postgresql package) via runuser.
# That user must be able to traverse every parent of $LL_STATE/pg. We make
# our own .state folders world-traversable (o+x); if the repository itself
# lives below a folder the postgres user cannot enter (e.g. /root, mode 700),
# the cluster goes to /var/tmp/lamplighter-<hash of $LL_STATE>/pg instead and
# $LL_STATE/pg becomes a symlink to it (deleted with the state on wipe).
#
# Entry points: ll_use_stack, ll_install_missing, ll_start_services,
# ll_stop_services, ll_wipe_state, ll_status, ll_phase (timing).
#
# The registrar (deploy/kamailio/registrar.cfg: usrloc in memory, registrar,
# dialog, ndb_redis) publishes every contact change on the channel
# lamplighter:registrations and every call state of calls it proxies to
# registered users on lamplighter:dialogs (LL_REG_CHANNEL, LL_DIALOG_CHANNEL
# override them), on this stack's Redis, in the formats of feeds/. Register a
# phone (or sipp) at sip:127.0.0.1:<registrar port> and its presentity
# sip:<user>@127.0.0.1 turns open.
#
# Databases (password auth over TCP, scram-sha-256): role+db lamplighter /
# password lamplighter, role+db kamailio / password kamailio. Lamplighter's
# schema: every sql/NNN_*.sql, in order, each in one transaction (so no
# BEGIN/COMMIT inside the files), recorded in schema_migrations(version =
# file name without .sql). Kamailio's tables: Debian's
# /usr/share/kamailio/postgres/{standard,presence}-create.sql, loaded once.
# The test stack (LL_FAST=1) runs PostgreSQL with fsync off and Redis
# without snapshots: it is wiped on every deploy/test anyway.

set -euo pipefail

LL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
LL_KAMAILIO_CFG="$LL_ROOT/deploy/kamailio/presence.cfg"
LL_REGISTRAR_CFG="$LL_ROOT/deploy/kamailio/registrar.cfg"
LL_OPTIONS_SCENARIO="$LL_ROOT/deploy/kamailio/options.xml"
LL_STATE_MARKER=".lamplighter-state"

LL_PACKAGES=(
	libxml2-dev libhiredis-dev libpq-dev pkg-config
	redis-server postgresql
	kamailio kamailio-presence-modules kamailio-postgres-modules
	kamailio-redis-modules
	sip-tester dnsmasq-base openssl
)

# Seconds to wait for each service to answer.
: "${LL_START_TIMEOUT:=30}"

ll_log() { printf '[deploy] %s\n' "$*" >&2; }
ll_die() {
	printf '[deploy] ERROR: %s\n' "$*" >&2
	exit 1
}

# ll_now_ms: monotonic-enough wall clock in milliseconds.
ll_now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ll_phase NAME CMD...: run CMD, print how long it took. Returns CMD's status.
ll_phase() {
	local name=$1 t0 rc=0
	shift
	t0=$(ll_now_ms)
	ll_log "== $name"
	"$@" || rc=$?
	local dt=$(($(ll_now_ms) - t0))
	ll_log "== $name: $(printf '%d.%03d' $((dt / 1000)) $((dt % 1000)))s$([ "$rc" -eq 0 ] || echo " (FAILED, status $rc)")"
	return "$rc"
}

# ll_use_stack run|test: set LL_STATE and the ports (env overrides win).
ll_use_stack() {
	case "${1:-}" in
	run)
		: "${LL_STATE:=$LL_ROOT/.state/run}"
		: "${LL_REDIS_PORT:=16379}"
		: "${LL_PG_PORT:=15432}"
		: "${LL_KAMAILIO_PORT:=15060}"
		: "${LL_REGISTRAR_PORT:=15070}"
		: "${LL_FAST:=0}"
		;;
	test)
		: "${LL_STATE:=$LL_ROOT/.state/test}"
		: "${LL_REDIS_PORT:=26379}"
		: "${LL_PG_PORT:=25432}"
		: "${LL_KAMAILIO_PORT:=25060}"
		: "${LL_REGISTRAR_PORT:=25070}"
		# Throw-away data: no fsync, no snapshots.
		: "${LL_FAST:=1}"
		;;
	*) ll_die "ll_use_stack: expected run or test, got '${1:-}'" ;;
	esac
	local p
	for p in LL_REDIS_PORT LL_PG_PORT LL_KAMAILIO_PORT LL_REGISTRAR_PORT; do
		if ! [[ ${!p} =~ ^[0-9]+$ ]] || ((${!p} < 1 || ${!p} > 65535)); then
			ll_die "$p must be a port number, got '${!p}'"
		fi
	done
	case "$LL_STATE" in
	/*) ;;
	*) LL_STATE="$PWD/$LL_STATE" ;;
	esac
	export LL_STATE LL_REDIS_PORT LL_PG_PORT LL_KAMAILIO_PORT LL_REGISTRAR_PORT LL_FAST
	LL_REDIS_DIR="$LL_STATE/redis"
	LL_KAM_DIR="$LL_STATE/kamailio"
	LL_REG_DIR="$LL_STATE/registrar"
	LL_ENV_FILE="$LL_STATE/env"
}

ll_require_stack() {
	[ -n "${LL_STATE:-}" ] || ll_die "internal: call ll_use_stack run|test first"
}

###############################################################################
# Packages
###############################################################################

# ll_install_missing: apt-get install only the packages dpkg does not have.
# Services installed by the packages are not started (policy-rc.d guard).
ll_install_missing() {
	local p missing=()
	for p in "${LL_PACKAGES[@]}"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			missing+=("$p")
		fi
	done
	if [ ${#missing[@]} -eq 0 ]; then
		ll_log "packages: all ${#LL_PACKAGES[@]} present"
		return 0
	fi
	ll_log "packages: installing ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		ll_die "missing packages; run as root or: sudo apt-get install ${missing[*]}"
	fi

	# Keep the packages' postinst from starting the distribution's redis
	# (6379) and postgresql (5432): invoke-rc.d / deb-systemd-invoke honour
	# policy-rc.d, and 101 means "action forbidden".
	local guard=/usr/sbin/policy-rc.d own_guard=0 rc=0
	if [ ! -e "$guard" ]; then
		printf '#!/bin/sh\n# temporary, written by lamplighter deploy/lib.sh\nexit 101\n' >"$guard"
		chmod 755 "$guard"
		own_guard=1
	fi
	(
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q &&
			apt-get install -y -q --no-install-recommends \
				-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef \
				-o Dpkg::Options::=--force-confold "${missing[@]}"
	) || rc=$?
	if [ "$own_guard" -eq 1 ]; then rm -f "$guard"; fi
	[ "$rc" -eq 0 ] || ll_die "apt-get failed (status $rc)"
}

###############################################################################
# Process helpers (pid files only; never by name)
###############################################################################

# ll_pid_from FILE: print the pid in FILE if that process is alive.
ll_pid_from() {
	local f=$1 pid
	[ -r "$f" ] || return 1
	read -r pid <"$f" || true
	[[ ${pid:-} =~ ^[0-9]+$ ]] || return 1
	ll_pid_alive "$pid" || return 1
	echo "$pid"
}

# ll_pid_alive PID: the process exists and is not a zombie.
ll_pid_alive() {
	local s
	kill -0 "$1" 2>/dev/null || return 1
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ]
}

ll_pid_comm() { cat "/proc/$1/comm" 2>/dev/null || true; }

# ll_session_of PID: session id of PID (field 6 of /proc/PID/stat).
ll_session_of() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo "$4"
}

# ll_session_pids SID: pids whose session id is SID.
ll_session_pids() {
	local sid=$1 f s
	for f in /proc/[0-9]*/stat; do
		s=$(cat "$f" 2>/dev/null) || continue
		s=${s##*) }
		# shellcheck disable=SC2086
		set -- $s
		if [ "$4" = "$sid" ]; then
			f=${f#/proc/}
			echo "${f%/stat}"
		fi
	done
}

# Pids that exited (possibly still zombies waiting for init to reap them).
LL_STOPPED_PIDS=()

# ll_wait_gone SECONDS PID...: wait until none of the pids runs (zombies
# count as gone). On timeout returns 1 with the survivors in LL_LEFT.
ll_wait_gone() {
	local deadline=$(($(ll_now_ms) + $1 * 1000)) p
	shift
	while :; do
		LL_LEFT=()
		for p in "$@"; do
			if ll_pid_alive "$p"; then
				LL_LEFT+=("$p")
			fi
		done
		if [ ${#LL_LEFT[@]} -eq 0 ]; then
			LL_STOPPED_PIDS+=("$@")
			return 0
		fi
		[ "$(ll_now_ms)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# ll_wait_reaped: best effort, up to 3 s: wait until the exited daemons have
# been reaped by init, so that a `ps` right after us shows nothing (some
# container init processes reap only once a second).
ll_wait_reaped() {
	local _ p left
	[ ${#LL_STOPPED_PIDS[@]} -gt 0 ] || return 0
	for _ in $(seq 30); do
		left=0
		for p in "${LL_STOPPED_PIDS[@]}"; do
			[ -e "/proc/$p" ] && left=1 && break
		done
		[ "$left" = 0 ] && break
		sleep 0.1
	done
	LL_STOPPED_PIDS=()
}

# ll_stop_pidfile NAME PIDFILE COMM: TERM the process if its comm matches,
# wait, escalate to KILL after 20 s. Also waits for the rest of its session
# (Kamailio's children).
ll_stop_pidfile() {
	local name=$1 file=$2 comm=$3 pid sid pids
	if ! pid=$(ll_pid_from "$file"); then
		[ -e "$file" ] && rm -f "$file"
		ll_log "$name: not running"
		return 0
	fi
	if [ "$(ll_pid_comm "$pid")" != "$comm" ]; then
		ll_log "$name: pid $pid from $file is not $comm (stale pid file), leaving it alone"
		rm -f "$file"
		return 0
	fi
	sid=$(ll_session_of "$pid" || echo "")
	kill -TERM "$pid" 2>/dev/null || true
	if ! ll_wait_gone 20 "$pid"; then
		ll_log "$name: pid $pid did not stop after SIGTERM, sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		ll_wait_gone 5 "$pid" || ll_die "$name: pid $pid survived SIGKILL"
	fi
	# Children of a daemon that did setsid share its session: wait for them.
	if [ -n "$sid" ] && [ "$sid" != 0 ] && [ "$sid" != "$$" ] && [ "$sid" != "$(ll_session_of $$ || true)" ]; then
		# shellcheck disable=SC2207
		pids=($(ll_session_pids "$sid"))
		if [ ${#pids[@]} -gt 0 ]; then
			if ! ll_wait_gone 10 "${pids[@]}"; then
				ll_log "$name: leftover processes ${LL_LEFT[*]}, sending SIGKILL"
				kill -KILL "${LL_LEFT[@]}" 2>/dev/null || true
				ll_wait_gone 5 "${LL_LEFT[@]}" || true
			fi
		fi
	fi
	rm -f "$file"
	ll_log "$name: stopped (pid $pid)"
}

# ll_wait_for NAME LOGFILE CMD...: retry CMD until it succeeds or
# LL_START_TIMEOUT passes; on timeout print the log tail and fail.
ll_wait_for() {
	local name=$1 log=$2 deadline
	shift 2
	deadline=$(($(ll_now_ms) + LL_START_TIMEOUT * 1000))
	until "$@" >/dev/null 2>&1; do
		if [ "$(ll_now_ms)" -ge "$deadline" ]; then
			ll_log "$name did not answer within ${LL_START_TIMEOUT}s; last lines of $log:"
			tail -n 40 "$log" >&2 2>/dev/null || true
			ll_die "$name failed to start"
		fi
		sleep 0.2
	done
}

# ll_tcp_port_busy PORT: something accepts TCP connections on 127.0.0.1:PORT.
ll_tcp_port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

###############################################################################
# Redis
###############################################################################

ll_redis_ping() {
	[ "$(redis-cli -h 127.0.0.1 -p "$LL_REDIS_PORT" ping 2>/dev/null)" = PONG ]
}

# ll_conf_quote STRING: double-quoted string for redis.conf.
ll_conf_quote() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

ll_start_redis() {
	local dir=$LL_REDIS_DIR conf=$LL_REDIS_DIR/redis.conf pid
	mkdir -p "$dir"
	if pid=$(ll_pid_from "$dir/redis.pid") && [ "$(ll_pid_comm "$pid")" = redis-server ]; then
		ll_log "redis: already running (pid $pid)"
	else
		ll_tcp_port_busy "$LL_REDIS_PORT" &&
			ll_die "redis: port $LL_REDIS_PORT is already in use by another process (set LL_REDIS_PORT)"
		{
			echo "# generated by deploy/lib.sh - edits are overwritten"
			echo "bind 127.0.0.1"
			echo "port $LL_REDIS_PORT"
			echo "protected-mode no"
			echo "daemonize yes"
			echo "supervised no"
			echo "pidfile $(ll_conf_quote "$dir/redis.pid")"
			echo "logfile $(ll_conf_quote "$dir/redis.log")"
			echo "dir $(ll_conf_quote "$dir")"
			echo "dbfilename dump.rdb"
			echo "appendonly no"
			if [ "$LL_FAST" = 1 ]; then
				echo 'save ""'
			else
				echo "save 3600 1 300 100 60 10000"
			fi
		} >"$conf"
		: >>"$dir/redis.log"
		redis-server "$conf" </dev/null ||
			{
				tail -n 40 "$dir/redis.log" >&2 || true
				ll_die "redis-server failed to start"
			}
	fi
	ll_wait_for "redis (127.0.0.1:$LL_REDIS_PORT)" "$dir/redis.log" ll_redis_ping
	ll_log "redis: ready on 127.0.0.1:$LL_REDIS_PORT"
}

###############################################################################
# PostgreSQL
###############################################################################

# ll_pg_bindir: directory with initdb/pg_ctl/psql for the installed server.
ll_pg_bindir() {
	local d
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir 2>/dev/null || true)
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/psql" ]; then
			echo "$d"
			return 0
		fi
	fi
	while read -r d; do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/psql" ]; then
			echo "$d"
			return 0
		fi
	done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5,5 -V -r)
	ll_die "no PostgreSQL server binaries found (pg_config --bindir, /usr/lib/postgresql/*/bin); is the postgresql package installed?"
}

ll_is_root() { [ "$(id -u)" -eq 0 ]; }

# ll_as_pg CMD...: run CMD as the postgres user (when root) from /.
ll_as_pg() {
	if ll_is_root; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# ll_pg_dir_resolve: set LL_PG_DIR without creating anything (for stop/status).
ll_pg_dir_resolve() {
	if [ -L "$LL_STATE/pg" ]; then
		LL_PG_DIR=$(readlink -f "$LL_STATE/pg")
	else
		LL_PG_DIR="$LL_STATE/pg"
	fi
}

# ll_check_own_dir DIR USER: DIR is a real folder owned by USER (guards the
# predictable /var/tmp and /tmp names against pre-created traps).
ll_check_own_dir() {
	if [ -L "$1" ] || [ ! -d "$1" ] || [ "$(stat -c %U "$1")" != "$2" ]; then
		ll_die "$1 must be a folder owned by $2 (delete it and retry)"
	fi
}

ll_pg_fallback_dir() {
	local h
	h=$(printf '%s' "$LL_STATE" | sha256sum | cut -c1-16)
	echo "/var/tmp/lamplighter-$h"
}

# ll_pg_dir_prepare: create the cluster folder, owned by postgres, and make
# sure postgres can reach it (see the header of this file).
ll_pg_dir_prepare() {
	mkdir -p "$LL_STATE"
	if ! ll_is_root; then
		LL_PG_DIR="$LL_STATE/pg"
		mkdir -p "$LL_PG_DIR"
		chmod 700 "$LL_PG_DIR"
		return 0
	fi
	id -u postgres >/dev/null 2>&1 || ll_die "no 'postgres' user; is the postgresql package installed?"
	if [ -L "$LL_STATE/pg" ]; then
		LL_PG_DIR=$(readlink -f "$LL_STATE/pg")
	else
		# Our own folders only: $LL_STATE and, if it is ours, its parent.
		chmod o+x "$LL_STATE"
		if [ "$(dirname "$LL_STATE")" = "$LL_ROOT/.state" ]; then
			chmod o+x "$LL_ROOT/.state"
		fi
		if runuser -u postgres -- test -x "$LL_STATE" 2>/dev/null; then
			LL_PG_DIR="$LL_STATE/pg"
		else
			local fb
			fb=$(ll_pg_fallback_dir)
			ll_log "postgres: user 'postgres' cannot enter $LL_STATE (a parent folder is not traversable);"
			ll_log "postgres: using $fb/pg instead (symlinked as $LL_STATE/pg)"
			if [ -e "$LL_STATE/pg" ]; then
				ll_die "postgres: user 'postgres' cannot reach the existing cluster in $LL_STATE/pg; make the parent folders traversable (chmod o+x) or delete $LL_STATE/pg"
			fi
			mkdir -p "$fb"
			ll_check_own_dir "$fb" root
			chmod 755 "$fb"
			LL_PG_DIR="$fb/pg"
			ln -s "$LL_PG_DIR" "$LL_STATE/pg"
		fi
	fi
	mkdir -p "$LL_PG_DIR"
	chown postgres:postgres "$LL_PG_DIR"
	chmod 700 "$LL_PG_DIR"
	runuser -u postgres -- test -w "$LL_PG_DIR" ||
		ll_die "postgres: user 'postgres' cannot write $LL_PG_DIR"
}

# ll_pg_sockdir: folder for the cluster's unix socket: $LL_PG_DIR/sock, or
# /tmp/lamplighter-pg-<hash> when that path is too long for a unix socket
# (sun_path is 108 bytes, ".s.PGSQL.<port>" included).
ll_pg_sockdir() {
	local d="$LL_PG_DIR/sock"
	if [ $((${#d} + 16)) -gt 100 ]; then
		d="/tmp/lamplighter-pg-$(printf '%s' "$LL_STATE" | sha256sum | cut -c1-16)"
	fi
	echo "$d"
}

# Escape a value for a single-quoted postgresql.conf string.
ll_pg_conf_quote() { printf "'%s'" "${1//\'/\'\'}"; }

# ll_pg_ssl_cert: a self-signed certificate for 127.0.0.1 (made once per
# cluster), so clients can connect with sslmode=verify-full; its public part is
# copied to $LL_STATE/postgres-ca.crt to serve as the clients' sslrootcert.
ll_pg_ssl_cert() {
	local ssl=$LL_PG_DIR/ssl
	if [ ! -s "$ssl/server.crt" ] || [ ! -s "$ssl/server.key" ]; then
		mkdir -p "$ssl"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
			-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
			-keyout "$ssl/server.key" -out "$ssl/server.crt" >"$LL_STATE/openssl.log" 2>&1 ||
			{
				cat "$LL_STATE/openssl.log" >&2
				ll_die "postgres: could not make its TLS certificate"
			}
	fi
	chmod 700 "$ssl"
	chmod 600 "$ssl/server.key"
	chmod 644 "$ssl/server.crt"
	ll_is_root && chown -R postgres:postgres "$ssl"
	cp "$ssl/server.crt" "$LL_STATE/postgres-ca.crt"
	chmod 644 "$LL_STATE/postgres-ca.crt"
}

ll_pg_write_conf() {
	local data=$LL_PG_DIR/data
	ll_pg_ssl_cert
	{
		echo "# generated by deploy/lib.sh on every start - edits are overwritten"
		echo "listen_addresses = '127.0.0.1'"
		echo "port = $LL_PG_PORT"
		echo "unix_socket_directories = $(ll_pg_conf_quote "$(ll_pg_sockdir)")"
		echo "password_encryption = 'scram-sha-256'"
		echo "max_connections = 100"
		echo "logging_collector = off"
		echo "log_min_messages = warning"
		echo "log_line_prefix = '%m [%p] %q%u@%d '"
		echo "ssl = on"
		echo "ssl_cert_file = $(ll_pg_conf_quote "$LL_PG_DIR/ssl/server.crt")"
		echo "ssl_key_file = $(ll_pg_conf_quote "$LL_PG_DIR/ssl/server.key")"
		if [ "$LL_FAST" = 1 ]; then
			echo "fsync = off"
			echo "synchronous_commit = off"
			echo "full_page_writes = off"
		fi
	} >"$data/lamplighter.conf"
	{
		echo "# generated by deploy/lib.sh - edits are overwritten"
		echo "# TYPE  DATABASE  USER      ADDRESS       METHOD"
		printf 'local   all       %-9s               peer\n' "$(ll_pg_superuser)"
		echo "local   all       all                     scram-sha-256"
		echo "host    all       all       127.0.0.1/32  scram-sha-256"
	} >"$data/pg_hba.conf"
	if ll_is_root; then
		chown postgres:postgres "$data/lamplighter.conf" "$data/pg_hba.conf"
	fi
	chmod 600 "$data/lamplighter.conf" "$data/pg_hba.conf"
}

# ll_pg_superuser: the cluster's superuser (= the OS user running it).
ll_pg_superuser() {
	if ll_is_root; then echo postgres; else id -un; fi
}

# ll_pg_admin ARGS...: psql as the superuser over the private unix socket.
ll_pg_admin() {
	local dbuser
	dbuser=$(ll_pg_superuser)
	ll_as_pg "$LL_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$(ll_pg_sockdir)" \
		-p "$LL_PG_PORT" -U "$dbuser" -d postgres "$@"
}

# ll_psql USER PASSWORD DB ARGS...: psql over TCP with password auth.
ll_psql() {
	local user=$1 pw=$2 db=$3
	shift 3
	PGPASSWORD=$pw PGSSLMODE=disable "$LL_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
		-h 127.0.0.1 -p "$LL_PG_PORT" -U "$user" -d "$db" "$@"
}

# ll_pg_ensure_role_db NAME PASSWORD: role NAME (login) owning database NAME.
ll_pg_ensure_role_db() {
	ll_pg_admin -v name="$1" -v pw="$2" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'name')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'name', :'pw') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'name') \gexec
SQL
}

ll_pg_ready() {
	"$LL_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$LL_PG_PORT" -d postgres
}

ll_start_postgres() {
	LL_PG_BIN=$(ll_pg_bindir)
	ll_pg_dir_prepare
	local data=$LL_PG_DIR/data log=$LL_PG_DIR/postgres.log
	if [ ! -s "$data/PG_VERSION" ]; then
		ll_log "postgres: initdb $data ($("$LL_PG_BIN/initdb" --version))"
		rm -rf "$data"
		local initdb_args=(-D "$data" -E UTF8 --no-locale --auth-local=peer --auth-host=scram-sha-256)
		ll_is_root && initdb_args+=(-U postgres)
		[ "$LL_FAST" = 1 ] && initdb_args+=(--no-sync)
		ll_as_pg "$LL_PG_BIN/initdb" "${initdb_args[@]}" >"$LL_STATE/initdb.log" 2>&1 ||
			{
				tail -n 40 "$LL_STATE/initdb.log" >&2
				ll_die "postgres: initdb failed"
			}
		echo "include_if_exists = 'lamplighter.conf'" >>"$data/postgresql.conf"
	fi
	ll_pg_write_conf
	local sock
	sock=$(ll_pg_sockdir)
	mkdir -p "$sock"
	[ -L "$sock" ] && ll_die "$sock must not be a symlink"
	ll_is_root && chown postgres:postgres "$sock"
	ll_check_own_dir "$sock" "$(ll_pg_superuser)"
	chmod 700 "$sock"
	if ll_as_pg "$LL_PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		ll_log "postgres: already running ($(head -n1 "$data/postmaster.pid"))"
		# pick up configuration changes (e.g. pg_hba.conf)
		ll_as_pg "$LL_PG_BIN/pg_ctl" -D "$data" reload >/dev/null
	else
		ll_tcp_port_busy "$LL_PG_PORT" &&
			ll_die "postgres: port $LL_PG_PORT is already in use by another process (set LL_PG_PORT)"
		if ! ll_as_pg "$LL_PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t "$LL_START_TIMEOUT" start >/dev/null; then
			tail -n 40 "$log" >&2 || true
			ll_die "postgres failed to start"
		fi
	fi
	ll_wait_for "postgres (127.0.0.1:$LL_PG_PORT)" "$log" ll_pg_ready
	ll_pg_ensure_role_db lamplighter lamplighter
	ll_pg_ensure_role_db kamailio kamailio
	ll_log "postgres: ready on 127.0.0.1:$LL_PG_PORT (data $data)"
}

# ll_migrate: apply sql/NNN_*.sql in order, each in one transaction together
# with its schema_migrations row. Migration files must not BEGIN/COMMIT.
ll_migrate() {
	local db=(lamplighter lamplighter lamplighter) f v applied n=0
	ll_psql "${db[@]}" -c 'SET client_min_messages = warning;
		CREATE TABLE IF NOT EXISTS schema_migrations (
			version text PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now())'
	applied=$(ll_psql "${db[@]}" -At -c 'SELECT version FROM schema_migrations')
	shopt -s nullglob
	local files=("$LL_ROOT"/sql/[0-9][0-9][0-9]_*.sql)
	shopt -u nullglob
	for f in "${files[@]}"; do
		v=$(basename "$f" .sql)
		if grep -qxF -- "$v" <<<"$applied"; then
			continue
		fi
		ll_log "migrate: applying $v"
		ll_psql "${db[@]}" -1 -v version="$v" -f "$f" -f - <<'SQL' || ll_die "migration $v failed"
INSERT INTO schema_migrations (version, applied_at) VALUES (:'version', now());
SQL
		n=$((n + 1))
	done
	ll_log "migrate: $n applied, $((${#files[@]} - n)) already present"
}

# ll_kamailio_schema: Kamailio's standard + presence tables in db kamailio.
ll_kamailio_schema() {
	local dir=/usr/share/kamailio/postgres db=(kamailio kamailio kamailio) pair table script
	for pair in version:standard-create.sql presentity:presence-create.sql; do
		table=${pair%%:*}
		script=$dir/${pair#*:}
		[ -r "$script" ] || ll_die "missing $script (kamailio-postgres-modules installed?)"
		if [ "$(ll_psql "${db[@]}" -At -c "SELECT to_regclass('public.$table') IS NOT NULL")" = t ]; then
			continue
		fi
		ll_log "kamailio schema: loading $(basename "$script")"
		ll_psql "${db[@]}" -1 -f "$script" >/dev/null || ll_die "loading $script failed"
	done
}

###############################################################################
# Kamailio
###############################################################################

# ll_kamailio_ping [PORT [DIR]]: one OPTIONS to 127.0.0.1:PORT (default the
# presence server), run from DIR (sipp may drop log files in the cwd).
ll_kamailio_ping() {
	local port=${1:-$LL_KAMAILIO_PORT} dir=${2:-$LL_KAM_DIR}
	(cd "$dir" && sipp -sf "$LL_OPTIONS_SCENARIO" -m 1 -l 1 -t u1 -i 127.0.0.1 \
		-nostdin -timeout 3s -timeout_error "127.0.0.1:$port" </dev/null)
}

# ll_run_kamailio NAME DIR CFG PORT [kamailio args…]: starts one Kamailio
# (unless its pid file names a running kamailio) with its pid file, runtime
# dir and log under DIR (NAME.pid, NAME.log, NAME-check.log, run/), after
# `kamailio -c`, and waits until it answers OPTIONS on PORT.
ll_run_kamailio() {
	local name=$1 dir=$2 cfg=$3 port=$4 pid
	shift 4
	mkdir -p "$dir/run"
	if pid=$(ll_pid_from "$dir/$name.pid") && [ "$(ll_pid_comm "$pid")" = kamailio ]; then
		ll_log "$name: already running (pid $pid)"
	else
		ll_tcp_port_busy "$port" &&
			ll_die "$name: port $port is already in use by another process"
		rm -f "$dir/$name.pid"
		local args=(-f "$cfg" -P "$dir/$name.pid" -Y "$dir/run" -m 64 -M 8 -E --substdef="/LL_SIP_PORT/$port/" "$@")
		printf '\n==== %s kamailio %s\n' "$(date -Is)" "${args[*]}" >>"$dir/$name.log"
		if ! kamailio -c "${args[@]}" >"$dir/$name-check.log" 2>&1; then
			tail -n 40 "$dir/$name-check.log" >&2
			ll_die "$name: $cfg does not pass 'kamailio -c'"
		fi
		if ! kamailio "${args[@]}" </dev/null >>"$dir/$name.log" 2>&1; then
			tail -n 40 "$dir/$name.log" >&2
			ll_die "$name failed to start"
		fi
	fi
	ll_wait_for "$name (sip:127.0.0.1:$port)" "$dir/$name.log" ll_kamailio_ping "$port" "$dir"
	ll_log "$name: ready on udp+tcp 127.0.0.1:$port (pid $(cat "$dir/$name.pid"))"
}

# ll_stop_sandboxes: stops and deletes the sandboxes (deploy/postgres-sandbox,
# deploy/kamailio-sandbox) that tests left under .state when they crashed or
# could not clean up; their servers run detached and would outlive the run.
ll_stop_sandboxes() {
	local d kind
	for d in "$LL_ROOT"/.state/kamailio-sandbox_* "$LL_ROOT"/.state/pg-sandbox_*; do
		[ -d "$d" ] || continue
		case "$d" in
		*/kamailio-sandbox_*) kind=kamailio-sandbox ;;
		*) kind=postgres-sandbox ;;
		esac
		# The port only names the server; stopping goes by its pid file or data directory.
		if (unset LL_STATE LL_PG_PORT LL_KAMAILIO_PORT && "$LL_ROOT/deploy/$kind" remove "$d" 1) >/dev/null 2>&1; then
			ll_log "left-over $kind removed: $(basename "$d")"
		else
			ll_log "could not remove left-over $kind $d"
		fi
	done
}

# ll_start_kamailio: the presence server (deploy/kamailio/presence.cfg) on
# LL_KAMAILIO_PORT (set LL_KAMAILIO_PORT to move it), its tables in this stack's PostgreSQL.
# LL_KAMAILIO_SHM: its shared memory in MiB (default 64; presence keeps every
# presentity there, about 100,000 need 1 GiB: deploy/soak sets 1024).
ll_start_kamailio() {
	[[ ${LL_KAMAILIO_SHM:-64} =~ ^[1-9][0-9]*$ ]] || ll_die "LL_KAMAILIO_SHM must be MiB, got '$LL_KAMAILIO_SHM'"
	ll_run_kamailio kamailio "$LL_KAM_DIR" "$LL_KAMAILIO_CFG" "$LL_KAMAILIO_PORT" \
		-A "LL_DB_URL=\"postgres://kamailio:kamailio@127.0.0.1:$LL_PG_PORT/kamailio\"" \
		-A "LL_SQLCON=\"ca=>postgres://kamailio:kamailio@127.0.0.1:$LL_PG_PORT/kamailio\"" \
		-m "${LL_KAMAILIO_SHM:-64}"
}

# ll_start_registrar: the registrar Kamailio (deploy/kamailio/registrar.cfg)
# on LL_REGISTRAR_PORT, publishing its feed events to this stack's Redis (so
# start Redis first). Contacts live in memory: a restart forgets them.
ll_start_registrar() {
	ll_run_kamailio registrar "$LL_REG_DIR" "$LL_REGISTRAR_CFG" "$LL_REGISTRAR_PORT" \
		--substdef="/LL_REDIS_PORT/$LL_REDIS_PORT/"
}

###############################################################################
# Everything
###############################################################################

ll_write_env() {
	local redis="redis://127.0.0.1:$LL_REDIS_PORT"
	local appdb="postgresql://lamplighter:lamplighter@127.0.0.1:$LL_PG_PORT/lamplighter"
	local kam="sip:127.0.0.1:$LL_KAMAILIO_PORT"
	local registrar="sip:127.0.0.1:$LL_REGISTRAR_PORT"
	local kamdb="postgresql://kamailio:kamailio@127.0.0.1:$LL_PG_PORT/kamailio"
	{
		echo "# generated by deploy/lib.sh (ll_write_env); source it"
		printf 'export %s=%q\n' \
			LAMPLIGHTER_TEST_REDIS_URL "$redis" \
			LAMPLIGHTER_TEST_DATABASE_URL "$appdb" \
			LAMPLIGHTER_TEST_KAMAILIO_URI "$kam" \
			LAMPLIGHTER_TEST_REGISTRAR_URI "$registrar" \
			LAMPLIGHTER_TEST_KAMAILIO_DATABASE_URL "$kamdb" \
			LAMPLIGHTER_TEST_POSTGRES_CA "$LL_STATE/postgres-ca.crt" \
			LAMPLIGHTER_REDIS_URL "$redis" \
			LAMPLIGHTER_DATABASE_URL "$appdb" \
			LAMPLIGHTER_SIP_PRESENCE_SERVER "$kam"
	} >"$LL_ENV_FILE.tmp"
	mv -f "$LL_ENV_FILE.tmp" "$LL_ENV_FILE"
}

ll_start_services() {
	ll_require_stack
	mkdir -p "$LL_STATE"
	[ -e "$LL_STATE/$LL_STATE_MARKER" ] || echo "lamplighter deploy state; safe to delete when stopped" >"$LL_STATE/$LL_STATE_MARKER"
	ll_phase "redis" ll_start_redis
	ll_phase "postgres" ll_start_postgres
	ll_phase "migrations" ll_migrate
	ll_phase "kamailio schema" ll_kamailio_schema
	ll_phase "kamailio" ll_start_kamailio
	ll_phase "registrar" ll_start_registrar
	ll_write_env
	ll_log "services up; environment in $LL_ENV_FILE"
}

ll_stop_postgres() {
	ll_pg_dir_resolve
	local data=$LL_PG_DIR/data pid bin
	if ! pid=$(ll_pid_from "$data/postmaster.pid"); then
		ll_log "postgres: not running"
		return 0
	fi
	bin=$(ll_pg_bindir)
	ll_as_pg "$bin/pg_ctl" -D "$data" stop -m fast -w -t 60 >/dev/null ||
		ll_log "postgres: pg_ctl stop failed"
	if ! ll_wait_gone 10 "$pid"; then
		ll_log "postgres: pid $pid still alive, sending SIGQUIT"
		kill -QUIT "$pid" 2>/dev/null || true
		ll_wait_gone 10 "$pid" || ll_die "postgres: pid $pid does not stop"
	fi
	ll_log "postgres: stopped (pid $pid)"
}

# ll_stop_services: stop what the pid files in $LL_STATE name. Idempotent.
ll_stop_services() {
	ll_require_stack
	[ -d "$LL_STATE" ] || {
		ll_log "nothing to stop ($LL_STATE does not exist)"
		return 0
	}
	ll_stop_pidfile registrar "$LL_REG_DIR/registrar.pid" kamailio
	ll_stop_pidfile kamailio "$LL_KAM_DIR/kamailio.pid" kamailio
	ll_stop_postgres
	ll_stop_pidfile redis "$LL_REDIS_DIR/redis.pid" redis-server
	ll_wait_reaped
}

# ll_wipe_state: stop and delete $LL_STATE (only if it is ours).
ll_wipe_state() {
	ll_require_stack
	[ -e "$LL_STATE" ] || return 0
	if [ -n "$(ls -A "$LL_STATE")" ] && [ ! -e "$LL_STATE/$LL_STATE_MARKER" ]; then
		ll_die "refusing to wipe $LL_STATE: not empty and no $LL_STATE_MARKER in it"
	fi
	ll_stop_services
	ll_pg_dir_resolve
	local sock
	sock=$(ll_pg_sockdir)
	case "$sock" in
	/tmp/lamplighter-pg-*) rm -rf "$sock" ;;
	esac
	if [ -L "$LL_STATE/pg" ]; then
		local target
		target=$(readlink -f "$LL_STATE/pg")
		case "$target" in
		/var/tmp/lamplighter-*/pg) rm -rf "$(dirname "$target")" ;;
		esac
	fi
	rm -rf "$LL_STATE"
}

# ll_status: one line per service: pid and whether it is alive.
ll_status() {
	ll_require_stack
	ll_pg_dir_resolve
	local name file pid state rc=0
	for name in redis postgres kamailio registrar; do
		case $name in
		redis) file=$LL_REDIS_DIR/redis.pid ;;
		postgres) file=$LL_PG_DIR/data/postmaster.pid ;;
		kamailio) file=$LL_KAM_DIR/kamailio.pid ;;
		registrar) file=$LL_REG_DIR/registrar.pid ;;
		esac
		pid=-
		if [ -r "$file" ]; then read -r pid <"$file" || pid=-; fi
		if [[ $pid =~ ^[0-9]+$ ]] && ll_pid_alive "$pid"; then
			state=alive
		elif [ "$pid" = - ]; then
			state=stopped
			rc=1
		else
			state="dead (stale pid file)"
			rc=1
		fi
		printf '%-9s pid %-8s %s\n' "$name" "$pid" "$state"
	done
	printf 'state     %s\nports     redis %s, postgres %s, kamailio %s, registrar %s\n' \
		"$LL_STATE" "$LL_REDIS_PORT" "$LL_PG_PORT" "$LL_KAMAILIO_PORT" "$LL_REGISTRAR_PORT"
	return $rc
}
