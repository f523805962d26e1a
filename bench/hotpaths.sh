#!/usr/bin/env bash
# Go benchmarks of fleetsim's hot paths with allocation counts (bench/README.md).
#   bash bench/hotpaths.sh            # one pass, -benchtime 1s
#   COUNT=6 bash bench/hotpaths.sh    # for benchstat
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-1}
BENCHTIME=${BENCHTIME:-1s}
run() { # package regexp
  go test -run '^$' -bench "$2" -benchmem -benchtime "$BENCHTIME" -count "$COUNT" "$1" | grep -E '^(Benchmark|pkg:)'
}
run ./sim/device/source   'CameraSecond'                        # media source, one camera-second (31 frames)
run ./sim/clock           'ArmStop|AfterFuncNew|FireThroughput'  # timers: Real vs Batched
BENCHTIME=150000x run ./sim/clock 'Rate150k'                     # 150k fires/s for 1 s: CPU per fire, lag
run ./sim/network         'ShapedWrite|Datagram'                 # link: one frame write, one datagram
run ./media/h264          'AppendAccessUnit'                     # synthesis of one access unit
run ./media/h265          'AppendAccessUnit'
run ./media/stamp         'ProduceFrame|ReadAnnexB|ReadFLVVideo' # stamp write and read-back
run ./media/mpegts        'MuxSlice$|VerifySlice|VerifyReaderSlice' # 10 s TS slice: mux, verify (whole / while reading)
run ./media/fmp4          'MuxSlice|VerifySlice'                 # 10 s fMP4 slice: mux, verify
run ./media/flv           'VideoTagBody|VideoTagParse|AudioTagBody'
run ./media/rtmp/chunk    'WriteVideoMessage|ReadVideoMessage'
run ./sim/cloud           'IngestFrames|SliceStore'              # mock cloud: RTMP ingest, slice store + verify
run ./report              'Observe$|ObserveSerial'               # report accumulator, per observation
