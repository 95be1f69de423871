#!/usr/bin/env bash
# Runs one of the pipeline descriptions of this folder with gst-launch-1.0:
#
#   pipelines/run.sh pipelines/sample-frames.pipeline CORPUS=videos/ DATASET=out/
#
# A description is gst-launch-1.0 syntax with @NAME@ placeholders; its
# "#@ NAME default" lines give the defaults, other "#" lines are comments.
# Every placeholder needs a value, from the command line or a default.
# gst-launch-1.0 runs with -e, so Ctrl-C ends the stream cleanly (the
# dataset sink then writes its COCO file). Set GST_PLUGIN_PATH to the
# folder of libgstddistill.so (a build's elements/) unless it is installed.
set -euo pipefail
if [ $# -lt 1 ] || [ ! -f "$1" ]; then
  echo "usage: $0 PIPELINE_FILE [NAME=value ...]" >&2
  exit 2
fi
file=$1
shift
declare -A values
while read -r mark name default; do
  [ "$mark" = "#@" ] && values[$name]=$default
done < "$file"
for arg in "$@"; do
  case $arg in
    *=*) values[${arg%%=*}]=${arg#*=} ;;
    *) echo "$0: '$arg' is not NAME=value" >&2; exit 2 ;;
  esac
done
description=$(grep -v '^[[:space:]]*#' "$file" | tr '\n' ' ')
for name in "${!values[@]}"; do
  description=${description//@$name@/${values[$name]}}
done
if [[ $description =~ @([A-Z_]+)@ ]]; then
  echo "$0: $file needs a value for ${BASH_REMATCH[1]} (add ${BASH_REMATCH[1]}=...)" >&2
  exit 2
fi
# The description is split on spaces as gst-launch-1.0's own command line
# would be: values must not contain spaces.
# shellcheck disable=SC2086
exec gst-launch-1.0 -e $description
