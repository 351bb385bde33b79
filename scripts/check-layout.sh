#!/usr/bin/env bash
# The layout rules of docs/architecture.md that a compiler does not check: no source file
# outside tests/ over 600 lines, no function outside tests/ over 100 lines (a definition from
# its signature to its closing brace, at namespace level or inside a class), no line of any
# source over 100 columns.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
sources=$(git ls-files '*.cpp' '*.hpp' '*.h' | grep -v '^tests/')
for file in $(git ls-files '*.cpp' '*.hpp' '*.h' | grep -v '^tests/'); do
  lines=$(wc -l < "$file")
  if [ "$lines" -gt 600 ]; then
    echo "check-layout: $file has $lines lines (at most 600)"
    status=1
  fi
done
# shellcheck disable=SC2086
awk '
  FNR == 1 { top = 0; member = 0; pending = 0 }
  # A definition at namespace level: its signature starts in column 0 and its body ends at the
  # next "}" in column 0; a member defined in its class: the same, two columns in.
  /^[A-Za-z].*\{$/ && !/^(namespace|struct|class|enum|extern|union)/ && !/= \{$/ {
    if (!top) { top = FNR; name = $0 }
    next
  }
  /^[A-Za-z].*[,(]$/ && !top && !/^(namespace|struct|class|enum|template|#)/ {
    pending = FNR; pname = $0; next
  }
  /^ .*\) (const )?(override )?(noexcept )?(-> .*)?\{$/ && pending && !top {
    top = pending; name = pname; pending = 0; next
  }
  /^}/ {
    if (top && FNR - top + 1 > 100) {
      printf "check-layout: %s:%d: a function of %d lines (at most 100): %s\n", FILENAME, top,
             FNR - top + 1, name
      bad = 1
    }
    top = 0; pending = 0; next
  }
  /^  [A-Za-z~].*\) (const )?(override )?(noexcept )?\{$/ && !/^  (if|for|while|switch|else|do|return)/ &&
  !/ = / {
    if (!member) { member = FNR; mname = $0 }
    next
  }
  /^  }$/ {
    if (member && FNR - member + 1 > 100) {
      printf "check-layout: %s:%d: a function of %d lines (at most 100): %s\n", FILENAME,
             member, FNR - member + 1, mname
      bad = 1
    }
    member = 0; next
  }
  END { exit bad }
' $sources || status=1
# shellcheck disable=SC2046
awk 'length > 100 {
       printf "check-layout: %s:%d: %d columns (at most 100)\n", FILENAME, FNR, length
       bad = 1
     }
     END { exit bad }' $(git ls-files '*.cpp' '*.hpp' '*.h') || status=1
exit $status
