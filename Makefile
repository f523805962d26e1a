# fleetsim — build, test, fuzz, bench.
#   make test    installs the real peers when missing, vets, runs every test
#                (real-peer tests included) and a short run of every fuzz target
#   make fuzz    only the short fuzz runs (FUZZTIME=3s each by default)
#   make bench   the benchmark harness (see bench/README.md)
#   make nginx   nginx-rtmp in the foreground on 127.0.0.1:1935 (PORT=…) for
#                scenarios/rtmp-nginx-loopback.yaml, recording every stream

GO       ?= go
FUZZTIME ?= 3s
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: test deps vet unit fuzz bench build nginx

build:
	$(GO) build ./...

test: deps vet unit fuzz

# Real peers for interoperability tests: ffmpeg/ffprobe, nginx with the RTMP
# module, and chromium for the browser test of report.html.
deps:
	@if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null \
	   || ! command -v nginx >/dev/null || ! ls /usr/lib/nginx/modules/ngx_rtmp_module.so >/dev/null 2>&1 \
	   || ! command -v chromium >/dev/null; then \
	  echo "installing real peers: ffmpeg nginx libnginx-mod-rtmp chromium"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq ffmpeg nginx libnginx-mod-rtmp chromium >/dev/null; \
	fi

vet:
	$(GO) vet ./...

unit:
	FLEETSIM_REQUIRE_PEERS=1 $(GO) test -count=1 -timeout 40m ./...
	cd bench/schedlat && $(GO) vet ./... && $(GO) test -count=1 ./...

fuzz:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

bench:
	bash bench/run.sh

nginx:
	bash scripts/nginx-rtmp.sh
