#!/usr/bin/env bash
# Packs a folder of messages (one message a file) into a training-corpus archive for
# policy/corpus/ham or policy/corpus/spam: a gzip-compressed ustar archive whose entries are the
# files in name order, with fixed owner, mode and time, so that the same folder always gives the
# same archive. A trailing ".txt" is dropped from entry names (the npm copy of the SpamAssassin
# corpus adds it; SpamAssassin's own names are NNNNN.<md5 of the message>).
#
#   src/build/corpus-archive.sh FOLDER ARCHIVE.tar.gz
#
# Only regular files directly in FOLDER whose names do not start with a dot and do not end in
# ".json" are packed.
set -euo pipefail
if [ $# -ne 2 ]; then
    echo "usage: $0 FOLDER ARCHIVE.tar.gz" >&2
    exit 2
fi
folder=$1
archive=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/messages
mkdir "$stage"
count=0
while IFS= read -r -d '' f; do
    name=$(basename "$f")
    case "$name" in
        .*|*.json) continue ;;
    esac
    cp "$f" "$stage/${name%.txt}"
    count=$((count + 1))
done < <(find "$folder" -maxdepth 1 -type f -print0)
if [ "$count" -eq 0 ]; then
    echo "$folder: no message files" >&2
    exit 1
fi
(cd "$stage" && LC_ALL=C find . -maxdepth 1 -type f -printf '%f\n' | LC_ALL=C sort > "$work/list")
tar --format=ustar --owner=0 --group=0 --numeric-owner --mode=0644 --mtime=@0 \
    -C "$stage" -cf - -T "$work/list" | gzip -9 -n > "$archive"
echo "$archive: $count messages"
