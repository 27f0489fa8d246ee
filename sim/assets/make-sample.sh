#!/usr/bin/env bash
# Makes sample.mp4, the video every simulated provider serves by default: a three-second test
# pattern, H.264 (baseline, so every browser plays it), moov first so that it streams. ffmpeg comes
# from PyPI (imageio-ffmpeg ships a static build), so this needs nothing but Python.
set -euo pipefail
cd "$(dirname "$0")"
venv="${TMPDIR:-/tmp}/sora-relay-ffmpeg"
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q imageio-ffmpeg; }
ffmpeg="$("$venv/bin/python" -c 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())')"
"$ffmpeg" -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=320x180:rate=24:duration=3" \
  -c:v libx264 -profile:v baseline -pix_fmt yuv420p -crf 38 -movflags +faststart -an sample.mp4
