#!/usr/bin/env bash
# Docs that quote results cannot drift from them (issue 15): every
# `<!-- golden NAME: key=value ... -->` comment in docs/*.md is checked
# against tests/golden/NAME.trades.csv and NAME.metrics.json, and each value
# must also appear in the text the comment follows (its block, up to the
# previous heading), so the prose and the check say the same thing.
#
# Keys: trades (every trade, open ones included), closed, open, long, short,
# exit_REASON (trades with that exit reason), final_equity (rounded); any of
# them may be narrowed to one symbol as key.SYMBOL (exit_trailing.ORCL=106).
set -euo pipefail
/usr/bin/python3 - "$PWD" <<'PY'
import collections, csv, glob, json, os, re, sys

root = sys.argv[1]
pattern = re.compile(r"<!--\s*golden\s+([\w.-]+):\s*(.*?)\s*-->")
checked = failed = 0


def figures(name, symbol):
    rows = list(csv.DictReader(open(f"{root}/tests/golden/{name}.trades.csv")))
    if symbol:
        rows = [r for r in rows if r["symbol"] == symbol]
    counts = {"trades": len(rows),
              "open": sum(r["exit_reason"] == "open" for r in rows),
              "long": sum(r["side"] == "long" for r in rows),
              "short": sum(r["side"] == "short" for r in rows)}
    counts["closed"] = counts["trades"] - counts["open"]
    for reason, n in collections.Counter(r["exit_reason"] for r in rows).items():
        counts[f"exit_{reason}"] = n
    metrics = json.load(open(f"{root}/tests/golden/{name}.metrics.json"))
    counts["final_equity"] = round(metrics["final_equity"])
    return counts


def in_text(value, text):
    forms = {f"{value}", f"{value:,}"}
    return any(re.search(rf"(?<![\d.,]){re.escape(f)}(?![\d])", text)
               for f in forms)


for doc in sorted(glob.glob(f"{root}/docs/*.md")):
    lines = open(doc).read().split("\n")
    for number, line in enumerate(lines):
        for match in pattern.finditer(line):
            name, pairs = match.group(1), match.group(2).split()
            # The block the comment follows: back to the previous heading.
            start = number
            while start > 0 and not lines[start - 1].startswith("#"):
                start -= 1
            block = pattern.sub("", "\n".join(lines[start:number + 1]))
            where = f"{os.path.basename(doc)}:{number + 1} ({name})"
            for pair in pairs:
                key, _, text_value = pair.partition("=")
                key, _, symbol = key.partition(".")
                quoted = int(text_value)
                try:
                    actual = figures(name, symbol).get(f"{key}", 0)
                except FileNotFoundError:
                    print(f"FAIL {where}: no golden files named {name}")
                    failed += 1
                    continue
                checked += 1
                if actual != quoted:
                    print(f"FAIL {where}: {pair}, but the golden files say "
                          f"{actual}")
                    failed += 1
                elif not in_text(quoted, block):
                    print(f"FAIL {where}: {pair} is checked but the text "
                          f"above it does not say {quoted}")
                    failed += 1
if checked == 0:
    print("FAIL: no golden figures found in docs/*.md")
    failed += 1
print(f"{checked - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
