#!/usr/bin/python3
"""Runs bt on every case of cases.txt and checks how it refuses the input.

For each case: a fresh working directory holding `data/` (a small synthetic
market, SYNA and SYNB) and `good.yaml` (a spec that runs), and its own
results database ($BT_RESULTS_DB). The case's command runs there under bash
with the helpers of PRELUDE, and must
  - end by itself within its timeout (no hang), and not by a signal (no
    crash);
  - exit with the code the case states (1: a run or check failed, 2: bad
    usage, an invalid spec or an unknown run);
  - say every text the case expects (';;' separates several), on stdout or
    stderr: the stage and the cause;
  - leave no run QUEUED or RUNNING in the results database.
Large inputs (a 60 MB spec, a 25 MB name, 200 MB of CSV) are made by the
commands at test time, in the case's directory, and removed with it.

Usage: run_corpus.py BT CASES [NAME_FILTER]
"""
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

# Generous for a loaded 2-core machine; a hang is a case that never ends.
TIMEOUT_SECONDS = 60

PRELUDE = r"""
set -u
bt() { "$BT" "$@"; }
BASE='data: {path: data, symbols: [SYNA]}
strategy: {name: sma_cross, params: {fast: 5, slow: 10}}'
# runwith TEXT: the good base spec plus TEXT (printf escapes), run.
runwith() { printf '%s\n' "$BASE" > s.yaml; printf -- "$1" >> s.yaml; bt run s.yaml; }
# runspec TEXT: a spec that is exactly TEXT (printf escapes), run.
runspec() { printf -- "$1" > s.yaml; bt run s.yaml; }
# badcsv TEXT: data/BAD.csv holds TEXT (printf escapes).
badcsv() { printf -- "$1" > data/BAD.csv; }
# runbad [MORE]: a run trading BAD (MORE: more spec lines).
runbad() { printf 'data: {path: data, symbols: [BAD]}\nstrategy: {name: sma_cross}\n' > s.yaml; printf "${1:-}" >> s.yaml; bt run s.yaml; }
HEADER='date,open,high,low,close,volume\n'
ROW='2020-01-02,10,11,9,10,100\n'
"""

UNFINISHED_STATES = (1, 2)  # backtest.v1.RunState QUEUED, RUNNING


def parse_cases(path):
    cases = []
    for number, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split(" | ", 3)]
        if len(parts) != 4:
            sys.exit(f"{path}:{number}: want 'name | exit | expected | command'")
        name, code, expected, command = parts
        cases.append((name, int(code), [e for e in expected.split(";;") if e],
                      command, number))
    return cases


def unfinished_runs(database):
    if not os.path.isfile(database) or os.path.getsize(database) == 0:
        return []
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True,
                                     timeout=5)
        rows = connection.execute(
            "SELECT run_id, state FROM runs WHERE state IN (?, ?)",
            UNFINISHED_STATES).fetchall()
        connection.close()
        return rows
    except sqlite3.Error:
        return []  # not a results database (a case may make it garbage)


def main():
    bt, cases_path = os.path.abspath(sys.argv[1]), sys.argv[2]
    only = sys.argv[3] if len(sys.argv) > 3 else ""
    cases = parse_cases(cases_path)
    names = [c[0] for c in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        sys.exit(f"case names used twice: {sorted(duplicates)}")
    top = tempfile.mkdtemp(prefix="bad_inputs.",
                           dir=os.environ.get("TEST_TMPDIR"))
    market = os.path.join(top, "market")
    subprocess.run([bt, "data", "synth", "--out", market, "--symbols", "2",
                    "--days", "80", "--seed", "3"], check=True,
                   stdout=subprocess.DEVNULL)
    passed = failed = 0
    slowest = (0.0, "")
    started = time.monotonic()
    for name, code, expected, command, number in cases:
        if only and only not in name:
            continue
        work = os.path.join(top, name)
        shutil.copytree(market, os.path.join(work, "data"))
        with open(os.path.join(work, "good.yaml"), "w") as spec:
            spec.write("data: {path: data, symbols: [SYNA]}\n"
                       "strategy: {name: sma_cross, params: {fast: 5, "
                       "slow: 10}}\n")
        database = os.path.join(work, "results.db")
        env = dict(os.environ, BT=bt, BT_RESULTS_DB=database, HOME=work,
                   LC_ALL="C.UTF-8")
        begin = time.monotonic()
        process = subprocess.Popen(
            ["/bin/bash", "-c", PRELUDE + command], cwd=work, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        problems = []
        try:
            output, _ = process.communicate(timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            problems.append(f"still running after {TIMEOUT_SECONDS} s (hang)")
        seconds = time.monotonic() - begin
        slowest = max(slowest, (seconds, name))
        text = output.decode("utf-8", errors="replace")
        status = process.returncode
        # bash reports a child killed by signal N as 128 + N.
        if status is not None and (status < 0 or status > 128):
            problems.append(f"ended by signal {status - 128 if status > 0 else -status} (crash)")
        elif not problems and status != code:
            problems.append(f"exit {status}, expected {code}")
        for want in expected:
            if want not in text:
                problems.append(f"output lacks {want!r}")
        unfinished = unfinished_runs(database)
        if unfinished:
            problems.append(f"runs left unfinished: {unfinished}")
        if problems:
            failed += 1
            print(f"FAIL {name} (cases.txt:{number}): " + "; ".join(problems))
            print("  " + text.strip().replace("\n", "\n  ")[:3000])
        else:
            passed += 1
        shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(top, ignore_errors=True)
    print(f"corpus: {passed + failed} cases in "
          f"{time.monotonic() - started:.1f} s, slowest {slowest[1]} "
          f"({slowest[0]:.1f} s)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
