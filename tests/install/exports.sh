#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# libmatgrad.so exports exactly the public API and the private ABI that
# libmatgrad_mpi of the same version calls: every dynamic symbol it defines
# is declared MG_API in include/matgrad/*.h or MG__PRIVATE_ABI in the
# private header, and vice versa (so no other internal mg__ helper leaks,
# and no public function is left hidden).
# Usage: exports.sh LIBMATGRAD_SO INCLUDE_DIR [PRIVATE_ABI_HEADER]
set -eu
lib=$1 inc=$2 priv=${3:-}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sort > "$tmp/exported"
{ sed -n 's/^MG_API [^(]*[ *]\([a-z_][a-zA-Z0-9_]*\)(.*/\1/p' "$inc"/matgrad/*.h
  [ -z "$priv" ] || sed -n 's/^MG__PRIVATE_ABI [^(]*[ *]\([a-z_][a-zA-Z0-9_]*\)(.*/\1/p' "$priv"
} | sort > "$tmp/declared"
[ -s "$tmp/declared" ] || { echo "no MG_API declarations found in $inc" >&2; exit 1; }
if ! diff -u "$tmp/declared" "$tmp/exported"; then
    echo "exports differ from the MG_API declarations (- declared only, + exported only)" >&2
    exit 1
fi
echo "exports: $(wc -l < "$tmp/exported") public and private-ABI functions, nothing else"
