#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Every source file of matgrad carries an SPDX license line (LICENSE:
# BSD-3-Clause) in its first two lines (the second after a #! line).
#   scripts/spdx.sh          check; lists the files without one, exit 1 if any
#   scripts/spdx.sh --add    add the line where it is missing
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tag='SPDX-License-Identifier: BSD-3-Clause'
add=0
[ "${1:-}" = --add ] && add=1

sources() {
  find "$root/src" "$root/include" "$root/tests" "$root/bench" "$root/scripts" "$root/cmake" \
       "$root/.ci" "$root/CMakeLists.txt" -type f \
       \( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.py' -o -name '*.cmake' \
          -o -name '*.in' -o -name CMakeLists.txt -o -path "$root/.ci/run" \) \
       -not -path "$root/tests/fuzz/corpus/*" -not -path "$root/tests/data/*" | sort
}

missing=0
while IFS= read -r f; do
  head -n 2 "$f" | grep -q "$tag" && continue
  if [ "$add" -eq 0 ]; then
    echo "no SPDX line: ${f#$root/}"
    missing=$((missing + 1))
    continue
  fi
  case "$f" in
    *.c|*.h) line="/* $tag */" ;;
    *.h.in)  line="/* $tag */" ;;
    *)       line="# $tag" ;;
  esac
  if head -n 1 "$f" | grep -q '^#!'; then
    sed -i "1a $line" "$f"
  else
    sed -i "1i $line" "$f"
  fi
done < <(sources)
[ "$missing" -eq 0 ] || { echo "$missing files without an SPDX line (scripts/spdx.sh --add)" >&2; exit 1; }
