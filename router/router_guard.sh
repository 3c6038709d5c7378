#!/bin/sh
# router_guard.sh — QSTCS router gatekeeper.
#
# Polls the KMS for the quantum link status and blocks the chat port in the
# router's firewall while the link is RED:
#   RED    -> insert  DROP rules for --dport/--sport $CHAT_PORT (once)
#   GREEN  -> delete  exactly those rules (only if they are present)
#   YELLOW -> no firewall change
# A KMS that cannot be reached, or that answers something unreadable, is
# handled by FAIL_MODE (see below). The rules are removed again when the guard
# exits (EXIT, INT, TERM, HUP); a SIGKILLed guard leaves them in place and the
# next run adopts them instead of stacking duplicates.
#
# Runs under BusyBox ash and needs only BusyBox applets (wget, grep, sed, date,
# sleep; timeout if present) plus iptables >= 1.4.11 (for `iptables -C`).
# Every setting below can be overridden from the environment, e.g.
#   KMS_HOST=192.168.1.100 FAIL_MODE=open sh /tmp/router_guard.sh

# --- arguments ---------------------------------------------------------------
# Settings come from the environment; the only argument is --help, which
# prints them and exits before anything is polled or changed.
case "${1-}" in
'') ;;
-h | --help)
	printf '%s\n' "Usage: [VAR=value ...] sh $0" \
		"Blocks the chat port in the router's firewall while the KMS says the" \
		"quantum link is RED. Settings, from the environment (VAR=default  meaning):"
	# The configuration block below is the one list of settings.
	sed -n 's/^\([A-Z_]*\)="\${[A-Z_]*:-\([^}]*\)}" *# \(.*\)/  \1=\2  \3/p' "$0"
	exit 0
	;;
*)
	printf 'router_guard.sh: unknown argument %s (settings come from the environment; see --help)\n' "$1" >&2
	exit 2
	;;
esac

# --- configuration -----------------------------------------------------------
KMS_HOST="${KMS_HOST:-192.168.1.100}" # machine running the KMS
KMS_PORT="${KMS_PORT:-8000}"          # KMS HTTP port (GET /link_status)
CHAT_PORT="${CHAT_PORT:-8765}"        # chat relay port to block while RED
POLL_INTERVAL="${POLL_INTERVAL:-3}"   # seconds between polls (whole number)
CHAIN="${CHAIN:-FORWARD}"             # iptables chain (filter table) for the rules
FAIL_MODE="${FAIL_MODE:-closed}"      # KMS unreachable/unreadable: closed = block, open = keep state
FAIL_THRESHOLD="${FAIL_THRESHOLD:-3}" # consecutive failed polls before FAIL_MODE=closed blocks
WGET_TIMEOUT="${WGET_TIMEOUT:-2}"     # seconds to wait for the KMS answer (0 = no timeout)
IPTABLES="${IPTABLES:-iptables}"      # iptables command, e.g. "iptables -w" or "iptables-legacy"
RECHECK_RULES="${RECHECK_RULES:-1}"   # 1 = while blocked, re-insert rules a firewall reload removed

# --- helpers -----------------------------------------------------------------
log() {
	printf '[GUARD] %s | %s\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$*"
}

die() {
	log "ERROR: $*"
	exit 2
}

# require_uint NAME VALUE MIN [MAX]: exit unless VALUE is a whole number in range.
require_uint() {
	case "$2" in
	'' | *[!0-9]*) die "$1 must be a whole number (got '$2')" ;;
	esac
	[ "$2" -ge "$3" ] || die "$1 must be >= $3 (got '$2')"
	[ -z "$4" ] || [ "$2" -le "$4" ] || die "$1 must be <= $4 (got '$2')"
}

require_uint KMS_PORT "$KMS_PORT" 1 65535
require_uint CHAT_PORT "$CHAT_PORT" 1 65535
require_uint POLL_INTERVAL "$POLL_INTERVAL" 1
require_uint FAIL_THRESHOLD "$FAIL_THRESHOLD" 1
require_uint WGET_TIMEOUT "$WGET_TIMEOUT" 0
case "$FAIL_MODE" in
closed | open) ;;
*) die "FAIL_MODE must be 'closed' or 'open' (got '$FAIL_MODE')" ;;
esac
case "$KMS_HOST" in
'' | *[!A-Za-z0-9.-]*) die "KMS_HOST must be a host name or IPv4 address (got '$KMS_HOST')" ;;
esac
case "$CHAIN" in
'' | *[!A-Za-z0-9_-]*) die "CHAIN must be an iptables chain name (got '$CHAIN')" ;;
esac

STATUS_URL="http://$KMS_HOST:$KMS_PORT/link_status"
RULE_DPORT="-p tcp --dport $CHAT_PORT -j DROP"
RULE_SPORT="-p tcp --sport $CHAT_PORT -j DROP"

# How to bound a poll: wget's own -T if this wget documents it (BusyBox with
# FEATURE_WGET_TIMEOUT, uclient-fetch, GNU wget), else the timeout applet
# (new `timeout SECS` or pre-1.30 `timeout -t SECS` syntax), else unbounded.
FETCH_MODE=plain
if [ "$WGET_TIMEOUT" -gt 0 ]; then
	if wget --help 2>&1 | grep -q -e '-T ' -e '--timeout'; then
		FETCH_MODE=wget-T
	elif timeout 1 sleep 0 >/dev/null 2>&1; then
		FETCH_MODE=timeout
	elif timeout -t 1 sleep 0 >/dev/null 2>&1; then
		FETCH_MODE=timeout-t
	fi
fi

fetch_status_body() {
	case "$FETCH_MODE" in
	wget-T) wget -q -T "$WGET_TIMEOUT" -O- "$STATUS_URL" 2>/dev/null ;;
	timeout) timeout "$WGET_TIMEOUT" wget -qO- "$STATUS_URL" 2>/dev/null ;;
	timeout-t) timeout -t "$WGET_TIMEOUT" wget -qO- "$STATUS_URL" 2>/dev/null ;;
	*) wget -qO- "$STATUS_URL" 2>/dev/null ;;
	esac
}

# iptables wrappers. $IPTABLES and the rule strings are split into words on
# purpose (no glob characters in them).
has_rule() {
	# shellcheck disable=SC2086
	$IPTABLES -C "$CHAIN" $1 >/dev/null 2>&1
}

has_any_rule() {
	has_rule "$RULE_DPORT" || has_rule "$RULE_SPORT"
}

IPT_ERROR=""
# note_iptables_error MESSAGE: log an iptables failure once per distinct message.
note_iptables_error() {
	if [ "$1" != "$IPT_ERROR" ]; then
		log "ERROR: $1"
		IPT_ERROR="$1"
	fi
}

BLOCKED=0          # 1 while the guard wants chat traffic blocked
BLOCK_INCOMPLETE=0 # 1 if an insert failed (retried every poll)
UNBLOCK_PENDING=0  # 1 if a delete failed (retried on the next GREEN)

# block: insert whichever of the two DROP rules is missing (checked with -C).
block() {
	BLOCKED=1
	BLOCK_INCOMPLETE=0
	for rule in "$RULE_DPORT" "$RULE_SPORT"; do
		if ! has_rule "$rule"; then
			log "Executing: $IPTABLES -I $CHAIN $rule"
			# shellcheck disable=SC2086
			if ! $IPTABLES -I "$CHAIN" $rule; then
				note_iptables_error "'$IPTABLES -I $CHAIN $rule' failed; retrying every poll"
				BLOCK_INCOMPLETE=1
			fi
		fi
	done
	if [ "$BLOCK_INCOMPLETE" = 0 ]; then
		IPT_ERROR=""
		log "Chat traffic BLOCKED at network layer"
	fi
}

# unblock: delete the DROP rules, including duplicates stacked by older scripts.
unblock() {
	UNBLOCK_PENDING=0
	for rule in "$RULE_DPORT" "$RULE_SPORT"; do
		while has_rule "$rule"; do
			log "Executing: $IPTABLES -D $CHAIN $rule"
			# shellcheck disable=SC2086
			if ! $IPTABLES -D "$CHAIN" $rule; then
				note_iptables_error "'$IPTABLES -D $CHAIN $rule' failed; retrying on the next GREEN poll"
				UNBLOCK_PENDING=1
				break
			fi
		done
	done
	[ "$UNBLOCK_PENDING" = 1 ] && return 1
	BLOCKED=0
	BLOCK_INCOMPLETE=0
	IPT_ERROR=""
	return 0
}

traffic_word() {
	if [ "$BLOCKED" = 1 ]; then echo BLOCKED; else echo ALLOWED; fi
}

SLEEP_PID=""
cleanup() {
	trap - EXIT INT TERM HUP
	[ -n "$SLEEP_PID" ] && kill "$SLEEP_PID" 2>/dev/null
	if [ "$BLOCKED" = 1 ] || has_any_rule; then
		log "Guard stopping — removing its firewall rules"
		unblock && log "Chat traffic ALLOWED (guard no longer enforcing)"
	fi
	log "Guard stopped"
}

# --- start -------------------------------------------------------------------
if ! $IPTABLES -L "$CHAIN" -n >/dev/null 2>&1; then
	die "cannot read iptables chain '$CHAIN' with '$IPTABLES' (missing iptables, not root, or no such chain?)"
fi
# `iptables -C` exits 1 for "no such rule" and 2 for an unknown option
# (iptables older than 1.4.11); without -C restarts could stack duplicates.
has_rule "$RULE_DPORT"
[ $? -eq 2 ] && die "'$IPTABLES' does not support -C (check rule); iptables >= 1.4.11 is required"

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

log "Guard started: chain $CHAIN, chat port $CHAT_PORT, poll every ${POLL_INTERVAL}s, FAIL_MODE=$FAIL_MODE (after $FAIL_THRESHOLD failed polls)"
[ "$FETCH_MODE" = plain ] && [ "$WGET_TIMEOUT" -gt 0 ] &&
	log "WARNING: neither 'wget -T' nor 'timeout' is available; a hung KMS connection can stall polling"
if has_any_rule; then
	# Left by a run that could not clean up (SIGKILL, power loss with a
	# persistent firewall): adopt them; the first GREEN removes them, and a
	# missing half is added only if the block stays.
	log "Found DROP rules for port $CHAT_PORT already in $CHAIN (left by an earlier run) — keeping chat traffic BLOCKED until the KMS reports GREEN"
	BLOCKED=1
	if ! has_rule "$RULE_DPORT" || ! has_rule "$RULE_SPORT"; then
		BLOCK_INCOMPLETE=1
	fi
fi
log "Polling KMS at $KMS_HOST:$KMS_PORT..."

LAST_STATUS=""    # last status the KMS reported (GREEN, YELLOW, RED)
FAILS=0           # consecutive failed polls
LAST_FAILURE=""   # failure message last logged (logged once per change)
FAILURE_REASON="" # set by poll_kms on failure
STATUS=""         # set by poll_kms on success

# poll_kms: fetch /link_status and set STATUS, or FAILURE_REASON and return 1.
poll_kms() {
	body=$(fetch_status_body)
	rc=$?
	if [ "$rc" -ne 0 ]; then
		case "$FETCH_MODE:$rc" in
		timeout:124 | timeout:143 | timeout-t:124 | timeout-t:143)
			FAILURE_REASON="KMS unreachable at $KMS_HOST:$KMS_PORT (no answer within ${WGET_TIMEOUT}s)"
			;;
		*) FAILURE_REASON="KMS unreachable at $KMS_HOST:$KMS_PORT (wget exit $rc)" ;;
		esac
		return 1
	fi
	# Accepts "status":"RED" and "status": "RED" (compact or pretty JSON).
	STATUS=$(printf '%s\n' "$body" | grep -o '"status"[[:space:]]*:[[:space:]]*"[^"]*"' |
		sed -n '1s/.*"\([^"]*\)"$/\1/p')
	case "$STATUS" in
	GREEN | YELLOW | RED) return 0 ;;
	esac
	FAILURE_REASON="Unreadable answer from KMS at $KMS_HOST:$KMS_PORT (no GREEN/YELLOW/RED status field)"
	return 1
}

on_status() {
	if [ "$FAILS" -gt 0 ]; then
		log "KMS reachable again at $KMS_HOST:$KMS_PORT after $FAILS failed poll(s)"
	fi
	FAILS=0
	LAST_FAILURE=""
	case "$STATUS" in
	RED)
		[ "$LAST_STATUS" != RED ] && log "Status: RED — QUANTUM BREACH DETECTED!"
		[ "$BLOCKED" = 1 ] || block
		;;
	GREEN)
		if [ "$BLOCKED" = 1 ]; then
			[ "$UNBLOCK_PENDING" = 1 ] || log "Status: GREEN — Quantum link restored"
			unblock && log "Removing firewall block. Chat traffic ALLOWED."
		elif [ "$LAST_STATUS" != GREEN ]; then
			log "Status: GREEN — Chat traffic ALLOWED"
		fi
		;;
	YELLOW)
		[ "$LAST_STATUS" != YELLOW ] &&
			log "Status: YELLOW — QBER elevated; no firewall change (chat traffic $(traffic_word))"
		;;
	esac
	LAST_STATUS="$STATUS"
}

on_failure() {
	FAILS=$((FAILS + 1))
	if [ "$FAILURE_REASON" != "$LAST_FAILURE" ]; then
		if [ "$FAIL_MODE" = open ]; then
			log "$FAILURE_REASON — FAIL_MODE=open: keeping chat traffic $(traffic_word)"
		elif [ "$BLOCKED" = 1 ]; then
			log "$FAILURE_REASON — FAIL_MODE=closed: chat traffic stays BLOCKED"
		else
			log "$FAILURE_REASON — FAIL_MODE=closed: chat traffic will be BLOCKED after $FAIL_THRESHOLD consecutive failed polls"
		fi
		LAST_FAILURE="$FAILURE_REASON"
	fi
	if [ "$FAIL_MODE" = closed ] && [ "$FAILS" -ge "$FAIL_THRESHOLD" ] && [ "$BLOCKED" != 1 ]; then
		[ "$FAILS" -eq "$FAIL_THRESHOLD" ] &&
			log "FAIL_MODE=closed: no valid KMS answer for $FAILS consecutive polls — blocking chat traffic"
		block
	fi
}

while true; do
	if poll_kms; then
		on_status
	else
		on_failure
	fi
	if [ "$BLOCKED" = 1 ]; then
		if [ "$BLOCK_INCOMPLETE" = 1 ]; then
			block
		elif [ "$RECHECK_RULES" = 1 ] && { ! has_rule "$RULE_DPORT" || ! has_rule "$RULE_SPORT"; }; then
			# A firewall reload (fw3 restart, `iptables -F`) removed the rules:
			# found with -C (read-only), put back with -I.
			log "Block rules missing from $CHAIN (firewall reloaded?) — re-inserting"
			block
		fi
	fi
	sleep "$POLL_INTERVAL" &
	SLEEP_PID=$!
	wait "$SLEEP_PID"
	SLEEP_PID=""
done
