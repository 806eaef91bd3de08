# Shared shell helpers for the run, bench and smoke scripts.

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits (at most 30 s) until something listens on 127.0.0.1:$1.
wait_for_port() {
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1 after 30 s" >&2
  return 1
}

# Builds the named products in release mode and sets BIN to their folder.
build_release() {
  for product in "$@"; do swift build -c release --product "$product" >/dev/null; done
  BIN=$(swift build -c release --show-bin-path)
}

# Processes started by a script (append their pids to PIDS) are killed and reaped at exit, and
# WORK (when set) is removed.
PIDS=()
stop_started_processes() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -n "${WORK:-}" ] && rm -rf "$WORK"
  return 0
}
