#!/usr/bin/env bash
# Prepares .build-static/ for release builds and prints the PKG_CONFIG_PATH that makes the linker
# use static copies of libcrypto, libsqlite3, libyaml, libsodium and libstdc++ (from their Debian -dev
# packages). Resolving those libraries' ~10,000 symbols at every start was half of a short
# command's work (docs/BENCHMARKS.md). libpq stays a shared library, loaded on first use; the
# static copies are not exported (the Swift driver links with --exclude-libs ALL), so libpq's own
# libcrypto is a separate copy. Prints nothing, and changes nothing, when an archive is missing.
set -euo pipefail
dir=${1:?usage: static-libs.sh DIR}
mkdir -p "$dir/pkgconfig"
libdir=$(pkg-config --variable=libdir libcrypto 2>/dev/null || echo /usr/lib/x86_64-linux-gnu)
cxx=$(g++ -print-file-name=libstdc++.a 2>/dev/null || true)
for pair in "libcrypto:crypto" "sqlite3:sqlite3" "yaml-0.1:yaml" "libsodium:sodium"; do
    pc=${pair%%:*} lib=${pair#*:}
    archive="$(pkg-config --variable=libdir "$pc" 2>/dev/null || echo "$libdir")/lib$lib.a"
    [ -f "$archive" ] || { echo "static-libs: no $archive; release links $lib dynamically" >&2; exit 0; }
    ln -sf "$archive" "$dir/lib$lib.a"
    printf 'Name: %s\nDescription: static copy for release builds\nVersion: 0\nLibs: -L%s -l%s\nCflags: %s\n' \
        "$pc" "$dir" "$lib" "$(pkg-config --cflags "$pc")" > "$dir/pkgconfig/$pc.pc"
done
[ -f "$cxx" ] && ln -sf "$cxx" "$dir/libstdc++.a"
echo "$dir/pkgconfig"
