#!/usr/bin/python3
"""A stand-in for the results service in the Slurm test, until `bt sweep`
stores its children through the real one (services/results).

It runs on the cluster's `results` host and answers one line per TCP
connection, so that the compute hosts' jobs reach it over the cluster
network exactly as they will reach the real service:

  GET JOB CHILD               -> SUCCEEDED if a record is stored, else MISSING
  BEGIN JOB CHILD NODE TRY    -> OK; logs an attempt (attempts.tsv)
  STORE JOB CHILD NODE TRY    -> OK; appends a record (records.tsv)

STORE appends even when the child is stored already, so a child run to the
end twice shows up as a duplicate in records.tsv: idempotency is the
client's job (as in bt sweep: a child stored SUCCEEDED is skipped), and the
test checks it instead of this service hiding it.

Usage: stand_in_results.py --listen=HOST:PORT --dir=DIR
"""

import argparse
import os
import socketserver
import sys
import threading


class Store:
    """records.tsv and attempts.tsv in one folder; one writer at a time."""

    def __init__(self, folder):
        self.records = os.path.join(folder, "records.tsv")
        self.attempts = os.path.join(folder, "attempts.tsv")
        self.lock = threading.Lock()
        self.stored = set()
        for path in (self.records, self.attempts):
            open(path, "a").close()

    def handle(self, words):
        verb, args = words[0], words[1:]
        with self.lock:
            if verb == "GET" and len(args) == 2:
                return "SUCCEEDED" if tuple(args) in self.stored else "MISSING"
            if verb == "BEGIN" and len(args) == 4:
                self._append(self.attempts, args)
                return "OK"
            if verb == "STORE" and len(args) == 4:
                self._append(self.records, args)
                self.stored.add(tuple(args[:2]))
                return "OK"
        return "ERROR unknown request: " + " ".join(words)

    @staticmethod
    def _append(path, fields):
        with open(path, "a") as out:
            out.write("\t".join(fields) + "\n")
            out.flush()
            os.fsync(out.fileno())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", required=True, help="HOST:PORT")
    parser.add_argument("--dir", required=True, help="where records go")
    args = parser.parse_args()
    host, port = args.listen.rsplit(":", 1)
    store = Store(args.dir)

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            line = self.rfile.readline().decode().split()
            reply = store.handle(line) if line else "ERROR empty request"
            self.wfile.write((reply + "\n").encode())

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    server = socketserver.ThreadingTCPServer((host, int(port)), Handler)
    # The same first line as results_server, so the harness waits on either.
    print(f"results service listening on {host}:{server.server_address[1]}",
          flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
