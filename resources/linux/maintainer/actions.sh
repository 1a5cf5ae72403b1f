# Shared by the .deb and .rpm maintainer scripts (build/package-linux.ts puts this text first and
# the format's own dispatch after it). POSIX sh; every step works when systemd is not PID 1
# (containers, chroots, image builds): units are then enabled for the next boot, not started.
set -e

TSUNAGU_EXE=/usr/lib/tsunagu/tsunagu
# tsunagu-firewall.service: the kill switch at boot (lockdown before the network is up), a oneshot.
TSUNAGU_UNITS="tsunagu-helper.socket tsunagu-helper.service tsunagu-firewall.service"

tsunagu_systemd_running() {
  [ -d /run/systemd/system ]
}

# Starts, stops and restarts go through Debian's deb-systemd-invoke where it exists (it honours
# policy-rc.d, as image builders expect); on RPM systems through systemctl.
tsunagu_invoke() {
  if command -v deb-systemd-invoke >/dev/null 2>&1; then
    deb-systemd-invoke "$@"
  else
    systemctl "$@"
  fi
}

tsunagu_group() {
  if command -v systemd-sysusers >/dev/null 2>&1; then
    systemd-sysusers tsunagu.conf
  elif ! getent group tsunagu >/dev/null; then
    groupadd --system tsunagu
  fi
}

# $1: "install" or "upgrade".
tsunagu_configure() {
  tsunagu_group
  for unit in $TSUNAGU_UNITS; do
    if command -v deb-systemd-helper >/dev/null 2>&1; then
      # Debian's way: records the enablement, so an administrator's later "disable" survives upgrades.
      if [ "$1" = install ] || deb-systemd-helper --quiet was-enabled "$unit"; then deb-systemd-helper enable "$unit"; else deb-systemd-helper update-state "$unit"; fi
    elif [ "$1" = install ] && command -v systemctl >/dev/null 2>&1; then
      systemctl --no-reload enable "$unit"
    fi
  done
  if tsunagu_systemd_running; then
    systemctl daemon-reload
    if [ "$1" = install ]; then
      tsunagu_invoke start $TSUNAGU_UNITS
    elif systemctl --quiet is-enabled tsunagu-helper.socket; then
      # The new helper binary replaces the old one (which ends its tunnels cleanly on SIGTERM).
      tsunagu_invoke restart tsunagu-helper.service
    fi
  else
    echo "tsunagu-helper: systemd is not running; tsunagu-helper.socket starts at the next boot." >&2
  fi
}

# Whether process $1 still runs: a zombie has exited, it only waits for its parent to reap it.
tsunagu_running() {
  state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# Ends every running helper: systemd's, and one started by hand or by systemd-socket-activate.
# SIGTERM makes the helper tear each tunnel down (routes, DNS, interface) before it exits.
tsunagu_stop() {
  if tsunagu_systemd_running; then
    tsunagu_invoke stop $TSUNAGU_UNITS || true
  fi
  pids=""
  for proc in /proc/[0-9]*; do
    if [ "$(readlink "$proc/exe" 2>/dev/null)" = "$TSUNAGU_EXE" ]; then pids="$pids ${proc#/proc/}"; fi
  done
  [ -n "$pids" ] || return 0
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  waited=0
  for pid in $pids; do
    while tsunagu_running "$pid" && [ "$waited" -lt 300 ]; do
      sleep 0.1
      waited=$((waited + 1))
    done
  done
  for pid in $pids; do
    if tsunagu_running "$pid"; then
      echo "tsunagu-helper: process $pid did not stop within 30 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

tsunagu_remove() {
  rm -rf /run/tsunagu
  if tsunagu_systemd_running; then systemctl daemon-reload; fi
}

# Root-only state, and the group: purging is the administrator asking for all of it to go (no
# packaged file is owned by the group; the socket went with /run/tsunagu).
tsunagu_purge_state() {
  rm -rf /var/lib/tsunagu /run/tsunagu
  if getent group tsunagu >/dev/null; then groupdel tsunagu; fi
}
