#!/usr/bin/python3
"""A stand-in for the results service in the Slurm test, until `bt sweep`
stores its children through the real one (services/results).

It runs on the cluster's `results` host and answers one line per TCP
connection, so that the jobs on the compute hosts reach it over the cluster
network as they will reach the real service:

  GET JOB CHILD     -> SUCCEEDED if the child is stored, else MISSING
  STORE JOB CHILD   -> OK, and a "JOB<TAB>CHILD" line appended to DIR/records.tsv

STORE appends even when the child is stored already, so a child run to the
end twice shows up twice in records.tsv: idempotency is the client's job (as
in bt sweep: a child stored SUCCEEDED is skipped), and the test checks it
rather than this service hiding it.

Usage: results_service.py --listen=HOST:PORT --dir=DIR
"""

import argparse
import os
import socketserver
import sys
import threading


class Store:
    """DIR/records.tsv and the set of stored children; one writer at a time."""

    def __init__(self, folder):
        self.records = os.path.join(folder, "records.tsv")
        open(self.records, "a").close()
        self.lock = threading.Lock()
        self.stored = set()

    def handle(self, words):
        if len(words) != 3 or words[0] not in ("GET", "STORE"):
            return "ERROR unknown request: " + " ".join(words)
        verb, child = words[0], tuple(words[1:])
        with self.lock:
            if verb == "GET":
                return "SUCCEEDED" if child in self.stored else "MISSING"
            with open(self.records, "a") as out:
                out.write("\t".join(child) + "\n")
            self.stored.add(child)
            return "OK"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", required=True, help="HOST:PORT")
    parser.add_argument("--dir", required=True, help="where records.tsv goes")
    args = parser.parse_args()
    host, port = args.listen.rsplit(":", 1)
    store = Store(args.dir)

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            words = self.rfile.readline().decode().split()
            self.wfile.write((store.handle(words) + "\n").encode())

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    server = socketserver.ThreadingTCPServer((host, int(port)), Handler)
    # The same line as results_server prints, so the harness waits on either.
    print(f"results service listening on {host}:{server.server_address[1]}",
          flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
