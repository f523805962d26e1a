#!/usr/bin/env bash
# Starts nginx with the RTMP module in the foreground on loopback, for
# scenarios/rtmp-nginx-loopback.yaml: application "live", every published
# stream recorded as FLV under a temporary prefix (printed at start; count
# its frames with ffprobe -count_frames). Ctrl-C stops nginx and keeps the
# recordings. Environment: PORT (default 1935), RECORD=0 to not record.
set -euo pipefail
PORT="${PORT:-1935}"
MODULE=/usr/lib/nginx/modules/ngx_rtmp_module.so
command -v nginx >/dev/null || { echo "nginx is not installed (make deps)" >&2; exit 1; }
[ -f "$MODULE" ] || { echo "$MODULE missing: install libnginx-mod-rtmp (make deps)" >&2; exit 1; }
PREFIX="$(mktemp -d -t fleetsim-nginx-XXXXXX)"
mkdir -p "$PREFIX/rec"
RECORD=""
if [ "${RECORD:-1}" != 0 ]; then
  RECORD="record all; record_path $PREFIX/rec; record_unique on;"
fi
cat >"$PREFIX/nginx.conf" <<CONF
load_module $MODULE;
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 65536;
pid $PREFIX/nginx.pid;
error_log stderr warn;
events { worker_connections 16384; }
rtmp {
  server {
    listen 127.0.0.1:$PORT;
    chunk_size 4096;
    application live {
      live on;
      $RECORD
    }
  }
}
CONF
echo "nginx-rtmp on rtmp://127.0.0.1:$PORT/live (prefix $PREFIX, recordings in $PREFIX/rec); Ctrl-C stops it" >&2
exec nginx -e stderr -p "$PREFIX" -c "$PREFIX/nginx.conf"
