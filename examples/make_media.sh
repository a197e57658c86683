#!/usr/bin/env bash
# Regenerates the small synthetic media the examples use (all made by ffmpeg's lavfi sources,
# so they carry no third-party rights). Usage: examples/make_media.sh
set -euo pipefail
cd "$(dirname "$0")/media"
Q=(-hide_banner -loglevel error -y)

# Photos: 960x540 JPEGs with detail (stand-ins for product / property photos).
ffmpeg "${Q[@]}" -f lavfi -i "mandelbrot=size=960x540:start_scale=1.2:end_scale=1.2" -frames:v 1 -q:v 9 photo-1.jpg
ffmpeg "${Q[@]}" -f lavfi -i "testsrc2=size=960x540" -frames:v 1 -q:v 6 photo-2.jpg
ffmpeg "${Q[@]}" -f lavfi -i "gradients=size=960x540:c0=0x1d3557:c1=0xe63946:x0=0:y0=0:x1=960:y1=540:seed=3" -frames:v 1 -q:v 6 photo-3.jpg
ffmpeg "${Q[@]}" -f lavfi -i "mandelbrot=size=960x540:start_scale=0.3:start_x=-0.75:start_y=0.1" -frames:v 1 -q:v 8 photo-4.jpg
ffmpeg "${Q[@]}" -f lavfi -i "gradients=size=960x540:c0=0xf4a261:c1=0x264653:c2=0x2a9d8f:n=3:seed=11" -frames:v 1 -q:v 6 photo-5.jpg
# Portrait 540x960 for the 9:16 story.
ffmpeg "${Q[@]}" -f lavfi -i "gradients=size=540x960:c0=0x2a9d8f:c1=0xe9c46a:x0=0:y0=0:x1=540:y1=960:seed=5" -frames:v 1 -q:v 6 portrait.jpg
# Logo: 256x256 RGBA PNG, an orange disc with a white ring on transparency.
ffmpeg "${Q[@]}" -f lavfi -i "color=c=black@0.0:s=256x256,format=rgba" -frames:v 1 \
  -vf "geq=r='if(lt(hypot(X-128,Y-128),90),255,if(lt(hypot(X-128,Y-128),115),255,0))':g='if(lt(hypot(X-128,Y-128),90),106,if(lt(hypot(X-128,Y-128),115),255,0))':b='if(lt(hypot(X-128,Y-128),90),0,if(lt(hypot(X-128,Y-128),115),255,0))':a='if(lt(hypot(X-128,Y-128),115),255,0)'" logo.png
# A short clip: 4 s 480x270 video with a tone.
ffmpeg "${Q[@]}" -f lavfi -i "testsrc2=size=480x270:rate=25:duration=4" -f lavfi -i "sine=frequency=330:duration=4" \
  -c:v libx264 -preset veryfast -crf 36 -pix_fmt yuv420p -c:a aac -b:a 64k -shortest clip.mp4
# Music: 12 s soft two-tone chord, mono 64 kb/s.
ffmpeg "${Q[@]}" -f lavfi -i "sine=frequency=220:duration=12" -f lavfi -i "sine=frequency=330:duration=12" \
  -filter_complex "[0][1]amix=inputs=2,tremolo=f=1.5:d=0.3,volume=0.8" -ac 1 -c:a libmp3lame -b:a 64k music.mp3
ls -l
