"""Waits until a gRPC server reports SERVING on the standard health service.

    grpc_health.py HOST:PORT [--timeout SECONDS] [--since EPOCH_SECONDS]

Calls grpc.health.v1.Health/Check for the whole server (service "") with
raw bytes, since Debian's python3-grpcio ships no grpc_health module: the
request is the empty message, the reply's field 1 is the status enum
(1 = SERVING). Prints the seconds from --since (default: now) to SERVING and
exits 0; exits 1 naming the last status or error when the timeout passes.
"""

import argparse
import sys
import time

import grpc

SERVING = 1
STATUS_NAMES = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


def decode_status(reply: bytes) -> int:
    """The status field of a HealthCheckResponse (0 when absent)."""
    status, position = 0, 0
    while position < len(reply):
        key, position = read_varint(reply, position)
        if key & 7 != 0:  # only varints are expected in this message
            raise ValueError(f"unexpected wire type in {reply!r}")
        value, position = read_varint(reply, position)
        if key >> 3 == 1:
            status = value
    return status


def read_varint(data: bytes, position: int) -> tuple:
    value, shift = 0, 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
        shift += 7


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("address")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--since", type=float, default=None)
    args = parser.parse_args()
    since = args.since if args.since is not None else time.time()
    deadline = time.time() + args.timeout
    last = "no answer"
    with grpc.insecure_channel(args.address) as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        while time.time() < deadline:
            try:
                status = decode_status(check(b"", timeout=1))
                if status == SERVING:
                    print(f"{time.time() - since:.2f}")
                    return 0
                last = STATUS_NAMES.get(status, str(status))
            except grpc.RpcError as error:
                last = f"{error.code().name}: {error.details()}"
            time.sleep(0.05)
    print(f"{args.address} not SERVING after {args.timeout:.0f} s: {last}",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
