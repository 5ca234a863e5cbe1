#!/bin/sh
# Build callcontrol's custom prompts and the hold-beeps music class from text.
# No audio is kept in the repository: run this at image build or install time.
#
#   generate.sh SOUNDS_DIR [MOH_DIR]
#
# SOUNDS_DIR  gets <name>.wav (8 kHz mono 16-bit PCM) and <name>.ulaw (raw
#             8 kHz mu-law) for every en/<name>.txt next to this script;
#             usually /var/lib/asterisk/sounds/en.
# MOH_DIR     (optional) gets hold-beeps.wav/.ulaw for MOH class cc_hold_beeps;
#             usually /var/lib/asterisk/moh-cc-hold-beeps.
#
# Needs espeak-ng and sox (Debian/Ubuntu: apt-get install espeak-ng sox).
set -eu

usage() {
    echo "usage: $0 SOUNDS_DIR [MOH_DIR]" >&2
    exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
sounds_dir=$1
moh_dir=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
voice=${CC_PROMPT_VOICE:-en-us}
speed=${CC_PROMPT_SPEED:-150}

for tool in espeak-ng sox; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "generate.sh: $tool is not installed" >&2
        exit 1
    fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$sounds_dir"

count=0
for text_file in "$here"/en/*.txt; do
    [ -e "$text_file" ] || { echo "generate.sh: no prompt texts in $here/en" >&2; exit 1; }
    name=$(basename "$text_file" .txt)
    case $name in
        cc-*) ;;
        *) echo "generate.sh: $name: custom prompts must be named cc-*" >&2; exit 1 ;;
    esac
    espeak-ng -v "$voice" -s "$speed" -w "$work/$name.raw.wav" -f "$text_file"
    # Asterisk's wav format is 8 kHz mono signed 16-bit; ulaw is headerless.
    sox "$work/$name.raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$sounds_dir/$name.wav"
    sox "$work/$name.raw.wav" -r 8000 -c 1 -t ul "$sounds_dir/$name.ulaw"
    count=$((count + 1))
done
echo "generate.sh: $count prompts in $sounds_dir"

if [ -n "$moh_dir" ]; then
    mkdir -p "$moh_dir"
    # Hold beeps: a 0.25 s 880 Hz beep, then silence, ten seconds a loop.
    sox -n -r 8000 -c 1 -b 16 "$work/beep.wav" synth 0.25 sine 880 vol 0.5
    sox "$work/beep.wav" "$moh_dir/hold-beeps.wav" pad 0 9.75
    sox "$moh_dir/hold-beeps.wav" -t ul "$moh_dir/hold-beeps.ulaw"
    echo "generate.sh: hold beeps in $moh_dir"
fi
