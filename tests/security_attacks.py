"""The attacks of issue 12 against a `bt serve` with TLS, tokens, data roots
and the strategy allow-list, each expecting its gRPC code and message, then
the happy path of a Python client over TLS with a token.

usage: security_attacks.py WORK_DIR STUBS_DIR
WORK_DIR holds certs/, tokens of alice, bob and flood (*.token), data/ (the
data root), outside/secret.csv and ports.txt (NAME=PORT per line), as
security_test.sh lays them out. Prints one line per check; exits 1 on the
first failure.
"""
import os
import sys
import time

work, stubs = sys.argv[1], sys.argv[2]
sys.path.insert(0, stubs)

import grpc  # noqa: E402
from backtest.v1 import coordinator_pb2, coordinator_pb2_grpc  # noqa: E402
from backtest.v1 import data_pb2, data_pb2_grpc  # noqa: E402
from backtest.v1 import results_pb2, results_pb2_grpc, run_pb2  # noqa: E402
from google.rpc import error_details_pb2, status_pb2  # noqa: E402

ports = dict(line.strip().split("=") for line in open(os.path.join(work, "ports.txt")))


def read(name):
    with open(os.path.join(work, name), "rb") as f:
        return f.read()


def token(name):
    return read(name + ".token").decode().strip()


CA = read("certs/ca.crt")
SECRET = read("outside/secret.csv").decode().strip()


def channel(service, who=None, cert=None):
    """A TLS channel to SERVICE with WHO's token and/or CERT's identity."""
    key_cert = (read(f"certs/{cert}.key"), read(f"certs/{cert}.crt")) if cert else (None, None)
    credentials = grpc.ssl_channel_credentials(CA, *key_cert)
    if who:
        credentials = grpc.composite_channel_credentials(
            credentials, grpc.access_token_call_credentials(token(who)))
    return grpc.secure_channel(f"127.0.0.1:{ports[service]}", credentials)


def coordinator(who):
    return coordinator_pb2_grpc.CoordinatorServiceStub(channel("coordinator", who))


def results(who):
    return results_pb2_grpc.ResultsServiceStub(channel("results", who))


def reason_of(error):
    """The ErrorInfo reason in the status details, when there is one."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    return info.reason
    return ""


def refused(what, code, call, reason=None, says=None):
    try:
        call()
    except grpc.RpcError as error:
        message = error.details() or ""
        ok = error.code() == code
        ok = ok and (reason is None or reason_of(error) == reason)
        ok = ok and (says is None or says in message)
        ok = ok and SECRET not in message
        if ok:
            print(f"refused  {what}: {error.code().name} {reason or ''} - {message[:150]}")
            return error
        sys.exit(f"FAILED: {what}: got {error.code().name} [{reason_of(error)}] {message}")
    sys.exit(f"FAILED: {what}: the call succeeded")


def spec(name, data_path, extra=""):
    return (f"name: {name}\ndata: {{path: {data_path}, symbols: [SYNA, SYNB]{extra}}}\n"
            "strategy: {name: sma_cross, params: {fast: 5, slow: 20}}\n"
            "portfolio: {initial_cash: 100000}\n")


def submit(who, text):
    return coordinator(who).SubmitRun(
        coordinator_pb2.SubmitRunRequest(spec_yaml=text, base_dir=work), timeout=30).run_id


def wait(who, run_id):
    last = None
    for progress in coordinator(who).WatchRun(
            coordinator_pb2.WatchRunRequest(run_id=run_id), timeout=120):
        last = progress
    return last


data_root = os.path.join(work, "data")
C = grpc.StatusCode

# Nobody unknown gets in.
refused("SubmitRun without a token", C.UNAUTHENTICATED,
        lambda: coordinator(None).SubmitRun(
            coordinator_pb2.SubmitRunRequest(spec_yaml=spec("x", data_root)), timeout=10),
        says="bearer token")
refused("ListRuns with a forged token", C.UNAUTHENTICATED,
        lambda: results_pb2_grpc.ResultsServiceStub(grpc.secure_channel(
            f"127.0.0.1:{ports['results']}", grpc.composite_channel_credentials(
                grpc.ssl_channel_credentials(CA),
                grpc.access_token_call_credentials("f" * 64)))).ListRuns(
            results_pb2.ListRunsRequest(), timeout=10),
        says="unknown or revoked")

# Stages take the coordinator's certificate only.
for who, cert, code in (("alice", None, C.UNAUTHENTICATED), (None, None, C.UNAUTHENTICATED),
                        (None, "mallory", C.PERMISSION_DENIED)):
    stub = data_pb2_grpc.DataServiceStub(channel("data", who, cert))
    refused(f"ValidateFiles /etc/shadow on the data stage as {who or cert or 'nobody'}", code,
            lambda: stub.ValidateFiles(data_pb2.ValidateFilesRequest(path="/etc/shadow"),
                                       timeout=10))

# Even as the coordinator, nothing outside the data roots is read.
as_coordinator = data_pb2_grpc.DataServiceStub(channel("data", cert="coordinator"))
outside_file = os.path.join(work, "outside", "secret.csv")
answers = {}
for path in ("/etc/shadow", outside_file, outside_file + ".missing",
             os.path.join(data_root, "..", "outside", "secret.csv"),
             os.path.join(data_root, "escape", "secret.csv")):
    error = refused(f"ValidateFiles {path} with the coordinator's certificate",
                    C.PERMISSION_DENIED,
                    lambda: as_coordinator.ValidateFiles(
                        data_pb2.ValidateFilesRequest(path=path), timeout=10),
                    reason="OUTSIDE_DATA_ROOTS")
    answers[path] = error.details().replace(path, "PATH")
if answers[outside_file] != answers[outside_file + ".missing"]:
    sys.exit("FAILED: the answer differs for a file that exists and one that does not")
print("ok       same answer whether or not a path outside exists")

# data.path and data.metadata outside the roots are refused at submission.
refused("SubmitRun with data.path outside the roots", C.PERMISSION_DENIED,
        lambda: submit("alice", spec("x", os.path.join(work, "outside"))),
        reason="OUTSIDE_DATA_ROOTS")
refused("SubmitRun with data.metadata /etc/shadow", C.PERMISSION_DENIED,
        lambda: submit("alice", spec("x", data_root, ", metadata: /etc/shadow")),
        reason="OUTSIDE_DATA_ROOTS")
# A link inside the roots that leads out passes the coordinator's check by
# name and is refused by the data service's canonical one.
linked = wait("alice", submit("alice", spec("linked", os.path.join(data_root, "escape"))))
if (linked.state != run_pb2.FAILED or linked.summary.error.reason != "OUTSIDE_DATA_ROOTS"
        or linked.summary.error.code != C.PERMISSION_DENIED.value[0]
        or SECRET in str(linked)):
    sys.exit(f"FAILED: a data.path linking out ran: {linked}")
print(f"refused  data.path linking out of the roots: run FAILED "
      f"[{linked.summary.error.reason}] {linked.summary.error.message[:100]}")

# strategy.address must be allow-listed (never contacted otherwise).
refused("SubmitRun with strategy.address 10.11.12.13:9000", C.INVALID_ARGUMENT,
        lambda: submit("alice", spec("x", data_root).replace(
            "params: {fast: 5, slow: 20}", "address: 10.11.12.13:9000")),
        says="--strategy-allow")

# Alice's run is hers.
run_id = submit("alice", spec("alice-run", data_root))
final = wait("alice", run_id)
if final.state != run_pb2.SUCCEEDED or final.summary.owner != "alice":
    sys.exit(f"FAILED: alice's run: {final}")
print(f"ok       alice's run {run_id} SUCCEEDED, owner {final.summary.owner}")
refused("bob cancels alice's run", C.PERMISSION_DENIED,
        lambda: coordinator("bob").CancelRun(
            coordinator_pb2.CancelRunRequest(run_id=run_id), timeout=10),
        reason="NOT_YOUR_RUN")
refused("bob watches alice's run", C.PERMISSION_DENIED,
        lambda: list(coordinator("bob").WatchRun(
            coordinator_pb2.WatchRunRequest(run_id=run_id), timeout=10)),
        reason="NOT_YOUR_RUN")
refused("bob reads alice's run", C.PERMISSION_DENIED,
        lambda: results("bob").GetRun(results_pb2.GetRunRequest(run_id=run_id), timeout=10),
        reason="NOT_YOUR_RUN")
refused("bob reads alice's trace", C.PERMISSION_DENIED,
        lambda: results("bob").GetTrace(results_pb2.GetTraceRequest(run_id=run_id), timeout=10),
        reason="NOT_YOUR_RUN")
bobs = results("bob").ListRuns(results_pb2.ListRunsRequest(), timeout=10).runs
if any(run.run_id == run_id for run in bobs):
    sys.exit("FAILED: bob's ListRuns shows alice's run")
print(f"ok       bob lists {len(bobs)} runs, none of alice's")

# Users cannot write results: no forged runs, no wiped traces.
forged = run_pb2.RunSummary(run_id="forged-1", name="forged", state=run_pb2.RUNNING)
refused("alice forges a run with BeginRun", C.PERMISSION_DENIED,
        lambda: results("alice").BeginRun(results_pb2.BeginRunRequest(run=forged), timeout=10),
        says="writer or admin")
refused("alice marks it SUCCEEDED with FinishRun", C.PERMISSION_DENIED,
        lambda: results("alice").FinishRun(
            results_pb2.FinishRunRequest(run_id="forged-1", state=run_pb2.SUCCEEDED), timeout=10))
refused("alice wipes her run's trace with StoreTrace", C.PERMISSION_DENIED,
        lambda: results("alice").StoreTrace(results_pb2.StoreTraceRequest(run_id=run_id),
                                             timeout=10))
trace = results("alice").GetTrace(results_pb2.GetTraceRequest(run_id=run_id), timeout=10)
if len(trace.trace.spans) == 0:
    sys.exit("FAILED: the trace was wiped")
print(f"ok       alice's trace still has {len(trace.trace.spans)} spans")

# Rate limit per principal.
flood = results("flood")
limited = None
for _ in range(200):
    try:
        flood.ListRuns(results_pb2.ListRunsRequest(limit=1), timeout=10)
    except grpc.RpcError as error:
        limited = error
        break
if limited is None or limited.code() != C.RESOURCE_EXHAUSTED or "retry in" not in limited.details():
    sys.exit(f"FAILED: no rate limit: {limited}")
print(f"refused  a flood of calls: RESOURCE_EXHAUSTED - {limited.details()}")
results("alice").ListRuns(results_pb2.ListRunsRequest(limit=1), timeout=10)
print("ok       alice is not limited by flood's bucket")

# The happy path of a Python client: its own run, listed and read back.
mine = results("alice").ListRuns(results_pb2.ListRunsRequest(), timeout=10).runs
if not any(run.run_id == run_id for run in mine) or any(run.owner != "alice" for run in mine):
    sys.exit(f"FAILED: alice's ListRuns: {mine}")
got = results("alice").GetRun(results_pb2.GetRunRequest(run_id=run_id, include_records=True),
                              timeout=30)
print(f"ok       python client over TLS: {len(mine)} runs of alice, run {got.run.run_id} "
      f"with {len(got.trades)} trades and {len(got.equity)} equity points")
print("all attacks refused")
