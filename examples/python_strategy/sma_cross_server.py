#!/usr/bin/python3
"""sma_cross as a strategy service written in Python: an example plug-in.

Implements backtest.v1.StrategyService (protos/backtest/v1/strategy.proto)
and reproduces the built-in C++ sma_cross (services/strategy/strategies/)
trade for trade, so a run pointed at it with `strategy.address` gives the
same trades, equity and metrics. The message and gRPC stubs are generated
from protos/ at startup (generate_stubs.sh), never committed.

Runs with Debian's /usr/bin/python3 and its python3-grpcio and
python3-protobuf packages:
  /usr/bin/python3 examples/python_strategy/sma_cross_server.py \
      --listen 127.0.0.1:7300
Thread-safe: gRPC calls arrive on a thread pool; a lock guards the table of
runs and each run has its own lock, as in the C++ engines.
"""

import argparse
import atexit
import collections
import datetime
import decimal
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import types
from concurrent import futures

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
STAGE = "strategy"
# The same bound as the C++ services (common/server.h): a chunk of steps of
# many symbols can exceed gRPC's 4 MiB default.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# Enough for one coordinator per run plus ListStrategies callers; calls for
# one run are serialized anyway.
WORKER_THREADS = 8
# Largest magnitude below which every whole double is an exact integer, so
# an int parameter converts to int without loss (2^53).
MAX_EXACT_INTEGER = 9007199254740992.0
SECONDS_PER_DAY = 86400
# Times are seconds on the data's own clock, no time zone (market.proto).
EPOCH = datetime.datetime(1970, 1, 1)

# The generated modules, filled by load_contracts() once the stubs exist.
pb = types.SimpleNamespace()


def load_contracts(stubs_dir, protos_dir):
    """Generates the stubs into stubs_dir unless already there, imports them."""
    if not os.path.exists(
            os.path.join(stubs_dir, "backtest", "v1", "strategy_pb2_grpc.py")):
        subprocess.run(
            [os.path.join(HERE, "generate_stubs.sh"), stubs_dir, protos_dir],
            check=True)
    sys.path.insert(0, stubs_dir)
    from backtest.v1 import orders_pb2, spec_pb2, strategy_pb2
    from backtest.v1 import strategy_pb2_grpc
    from google.rpc import error_details_pb2, status_pb2
    pb.orders, pb.spec, pb.strategy = orders_pb2, spec_pb2, strategy_pb2
    pb.strategy_grpc = strategy_pb2_grpc
    pb.error_details, pb.status = error_details_pb2, status_pb2


# --- Errors, as common/stage_error.h builds them ----------------------------


class StageFailure(Exception):
    """A failure with the stage's google.rpc.ErrorInfo (and BadRequest)."""

    def __init__(self, code, reason, message, violations=(), **metadata):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.violations = list(violations)  # (field, description) pairs
        self.metadata = {k: v for k, v in metadata.items() if v}

    def with_context(self, **metadata):
        """Adds facts that are not set yet, like C++ WithContext."""
        for key, value in metadata.items():
            if value:
                self.metadata.setdefault(key, value)
        return self

    def grpc_status(self):
        """The status common/grpc_status.cc ToGrpcStatus would send."""
        info = pb.error_details.ErrorInfo(
            reason=self.reason, domain=STAGE, metadata=self.metadata)
        details = pb.status.Status(code=self.code.value[0],
                                   message=self.message)
        details.details.add().Pack(info)
        if self.violations:
            bad_request = pb.error_details.BadRequest()
            for field, description in self.violations:
                bad_request.field_violations.add(field=field,
                                                 description=description)
            details.details.add().Pack(bad_request)
        return RpcStatus(
            self.code, self.message,
            (("grpc-status-details-bin", details.SerializeToString()),))


class RpcStatus(
        collections.namedtuple("RpcStatus",
                               ("code", "details", "trailing_metadata")),
        grpc.Status):
    """grpc.Status for context.abort_with_status (grpcio-status's shape)."""


def invalid_fields(reason, problems):
    """INVALID_ARGUMENT listing every problem, like C++ InvalidFields."""
    lines = "".join(f"\n  {field}: {text}" for field, text in problems)
    plural = "" if len(problems) == 1 else "s"
    return StageFailure(grpc.StatusCode.INVALID_ARGUMENT, reason,
                        f"{len(problems)} problem{plural}:{lines}", problems)


def format_time(time):
    """common/time.h FormatTime: the date alone at midnight."""
    moment = EPOCH + datetime.timedelta(seconds=time)
    if time % SECONDS_PER_DAY == 0:
        return moment.date().isoformat()
    return moment.isoformat(timespec="seconds")


def format_number(value):
    """std::to_chars's shortest form: "10", "10.5", "1e+16"."""
    if not math.isfinite(value):
        return repr(value)
    number = decimal.Decimal(repr(value)).normalize()
    fixed = format(number, "f")
    sign, digits, exponent = number.as_tuple()
    if not number:
        return fixed
    power = len(digits) - 1 + exponent
    mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:]))
                                 if len(digits) > 1 else "")
    scientific = (f"{'-' if sign else ''}{mantissa}e"
                  f"{'-' if power < 0 else '+'}{abs(power):02d}")
    return fixed if len(fixed) <= len(scientific) else scientific


# --- Parameters, as services/strategy/param_schema.cc resolves them ---------


def int_param(name, default, low, high, description):
    return pb.strategy.ParamSchema(
        name=name, type="int", default_value=pb.spec.ParamValue(number=default),
        min=low, max=high, description=description)


def text_param(name, default, choices, description):
    return pb.strategy.ParamSchema(
        name=name, type="string", default_value=pb.spec.ParamValue(text=default),
        choices=choices, description=description)


def describe(value):
    kind = value.WhichOneof("kind")
    if kind == "number":
        return format_number(value.number)
    if kind == "text":
        return f'text "{value.text}"'
    if kind == "flag":
        return "true" if value.flag else "false"
    return "no value"


def range_problem(schema, number):
    has_min, has_max = schema.HasField("min"), schema.HasField("max")
    if not ((has_min and number < schema.min) or
            (has_max and number > schema.max)):
        return None
    if has_min and has_max:
        allowed = (f"in [{format_number(schema.min)}, "
                   f"{format_number(schema.max)}]")
    elif has_min:
        allowed = f">= {format_number(schema.min)}"
    else:
        allowed = f"<= {format_number(schema.max)}"
    return f"must be {allowed}, got {format_number(number)}"


def value_problem(schema, value):
    """Why value does not fit schema, or None when it does."""
    got = f", got {describe(value)}"
    kind = value.WhichOneof("kind")
    if schema.type == "int":
        if (kind != "number" or not value.number.is_integer() or
                abs(value.number) > MAX_EXACT_INTEGER):
            return "must be an integer" + got
        return range_problem(schema, value.number)
    if schema.type == "number":
        if kind != "number" or not math.isfinite(value.number):
            return "must be a finite number" + got
        return range_problem(schema, value.number)
    if schema.type == "string":
        if kind != "text":
            return "must be text" + got
        if schema.choices and value.text not in schema.choices:
            return f"must be one of [{', '.join(schema.choices)}]" + got
        return None
    if schema.type == "bool":
        return None if kind == "flag" else "must be true or false" + got
    return (f'has unknown type "{schema.type}" '
            "(expected int, number, string or bool)")


def resolve_params(schemas, given):
    """Every declared param with its value (given or default), or
    INVALID_PARAMS listing every problem."""
    problems = []
    resolved = {}
    for schema in schemas:
        if schema.name in given:
            problem = value_problem(schema, given[schema.name])
            if problem:
                problems.append((f"strategy.params.{schema.name}", problem))
            resolved[schema.name] = given[schema.name]
        else:
            resolved[schema.name] = schema.default_value
    known = (f"known parameters: {', '.join(s.name for s in schemas)}"
             if schemas else "this strategy takes no parameters")
    for name in sorted(set(given) - set(resolved)):
        problems.append(
            (f"strategy.params.{name}", f"unknown parameter; {known}"))
    if problems:
        raise invalid_fields("INVALID_PARAMS", problems)
    return resolved


# --- The strategy ----------------------------------------------------------


class Sma:
    """Simple moving average as backtrader computes it:
    math.fsum(window) / period, None until period values were added.
    O(period) per value: clarity over speed (the C++ Sma keeps the exact
    sum's partials instead and gets the same bits in O(1))."""

    def __init__(self, period):
        self.period = period
        self.window = collections.deque(maxlen=period)
        self.value = None

    def add(self, value):
        self.window.append(value)
        if len(self.window) == self.period:
            self.value = math.fsum(self.window) / self.period


class SymbolState:
    def __init__(self, fast, slow):
        self.fast = Sma(fast)
        self.slow = Sma(slow)
        # fast - slow at the latest bar where it was not zero, counting only
        # bars where both SMAs were defined.
        self.last_nonzero_difference = None
        self.order_in_flight = False


class SmaCross:
    """Long only: buys when the fast SMA of closes crosses above the slow one
    while flat, closes the position when it crosses below while long.

    "Crosses above at bar t": fast_t > slow_t and, at the latest earlier bar
    where both were defined and differed, fast < slow (backtrader's
    CrossOver). At most one order per symbol is in flight: after an intent,
    nothing more for that symbol until a fill or rejection for it arrives.
    """

    NAME = "sma_cross"
    DESCRIPTION = (
        "Long only. Buys when the fast SMA of closes crosses above the slow "
        "SMA while flat; closes the position when it crosses below.")

    @staticmethod
    def schemas():
        return [
            int_param("fast", 10, 1, 1000, "period of the fast SMA, in bars"),
            int_param("slow", 30, 2, 5000, "period of the slow SMA, in bars"),
            # The built-in sma_cross also trades short and both ways; this
            # example implements the long side only, under the same name.
            text_param("direction", "long", ["long"],
                       "long only in this example"),
        ]

    @staticmethod
    def check_params(params):
        fast, slow = int(params["fast"].number), int(params["slow"].number)
        if fast >= slow:
            return [("strategy.params.fast",
                     f"must be less than slow (fast {fast}, slow {slow})")]
        return []

    def __init__(self, symbols, params):
        fast, slow = int(params["fast"].number), int(params["slow"].number)
        self.symbols = symbols
        self.states = [SymbolState(fast, slow) for _ in symbols]
        self.entry_reason = f"sma {fast} crossed above sma {slow}"
        self.exit_reason = f"sma {fast} crossed below sma {slow}"

    def on_fill(self, event):
        """A fill or a rejection: either settles the symbol's one order."""
        self.states[event.symbol].order_in_flight = False

    def on_bar(self, step, view, intents):
        held = {position.symbol: position.quantity
                for position in view.positions}
        for bar in step.bars:
            state = self.states[bar.symbol]
            if not math.isfinite(bar.close):
                # A non-finite value would poison the window sums.
                symbol = self.symbols[bar.symbol]
                raise StageFailure(
                    grpc.StatusCode.INVALID_ARGUMENT, "NON_FINITE_CLOSE",
                    f"close of {symbol} at {format_time(step.time)} is "
                    f"{bar.close}; the data stage should have rejected this "
                    "bar", symbol=symbol, bar_time=format_time(step.time))
            state.fast.add(bar.close)
            state.slow.add(bar.close)
            if state.fast.value is None or state.slow.value is None:
                continue
            difference = state.fast.value - state.slow.value
            before = state.last_nonzero_difference
            if difference != 0.0:
                state.last_nonzero_difference = difference
            if before is None or state.order_in_flight:
                continue
            quantity = held.get(bar.symbol, 0.0)
            if quantity == 0.0 and before < 0.0 < difference:
                action, reason = pb.orders.Intent.BUY, self.entry_reason
            elif quantity > 0.0 and before > 0.0 > difference:
                action, reason = pb.orders.Intent.CLOSE, self.exit_reason
            else:
                continue
            # quantity 0: the portfolio's sizing rule decides.
            intents.add(symbol=bar.symbol, action=action, quantity=0.0,
                        type=pb.orders.MARKET, reason=reason)
            state.order_in_flight = True


STRATEGIES = {SmaCross.NAME: SmaCross}


# --- One run: the OnSteps delivery rules, as strategy_engine.cc applies them -


class StrategyRun:
    """Checks every symbol index it hands the strategy. Not thread-safe:
    callers hold self.lock."""

    def __init__(self, run_id, symbols, strategy):
        self.run_id = run_id
        self.symbols = symbols
        self.strategy = strategy
        self.lock = threading.Lock()

    def steps(self, request, response):
        """For each step: fills, then rejections, dated at or before it; then
        on_bar. Stops after the first step that made intents."""
        self.check_request(request)
        fills, rejections = iter(request.fills), iter(request.rejections)
        next_fill, next_rejection = next(fills, None), next(rejections, None)
        for i, (step, view) in enumerate(zip(request.steps, request.views)):
            self.check_symbols(step, view)
            while next_fill is not None and next_fill.time <= step.time:
                self.strategy.on_fill(next_fill)
                next_fill = next(fills, None)
            while (next_rejection is not None and
                   next_rejection.time <= step.time):
                self.strategy.on_fill(next_rejection)
                next_rejection = next(rejections, None)
            try:
                self.strategy.on_bar(step, view, response.intents)
            except StageFailure as failure:
                raise failure.with_context(run_id=self.run_id,
                                           bar_time=format_time(step.time))
            except Exception as error:  # a bug in the strategy: say where
                raise StageFailure(
                    grpc.StatusCode.INTERNAL, "STRATEGY_EXCEPTION",
                    f"the strategy raised {type(error).__name__}: {error}",
                    run_id=self.run_id,
                    bar_time=format_time(step.time)) from error
            if response.intents:
                response.steps_used = i + 1
                return
        response.steps_used = len(request.steps)

    def known(self, symbol):
        return 0 <= symbol < len(self.symbols)

    def unknown_symbol(self, what, symbol, time):
        return StageFailure(
            grpc.StatusCode.INVALID_ARGUMENT, "UNKNOWN_SYMBOL_INDEX",
            f"{what} names symbol index {symbol} but run {self.run_id} has "
            f"{len(self.symbols)} symbols ({', '.join(self.symbols)}); the "
            "caller must index the symbols given to StartRun",
            run_id=self.run_id, bar_time=format_time(time))

    def check_request(self, request):
        if not request.steps:
            raise StageFailure(
                grpc.StatusCode.INVALID_ARGUMENT, "NO_STEPS",
                f"OnSteps for run {self.run_id} has no steps; send at least "
                "one step", run_id=self.run_id)
        if len(request.views) != len(request.steps):
            raise StageFailure(
                grpc.StatusCode.INVALID_ARGUMENT, "VIEW_COUNT_MISMATCH",
                f"OnSteps for run {self.run_id} has {len(request.steps)} "
                f"steps but {len(request.views)} portfolio views; send one "
                "view per step, as the portfolio's ApplySteps returns them",
                run_id=self.run_id,
                bar_time=format_time(request.steps[0].time))
        for what, events in (("fill", request.fills),
                             ("rejection", request.rejections)):
            for i, event in enumerate(events):
                if not self.known(event.symbol):
                    raise self.unknown_symbol(f"a {what}", event.symbol,
                                              event.time)
                if i > 0 and event.time < events[i - 1].time:
                    raise StageFailure(
                        grpc.StatusCode.INVALID_ARGUMENT, "EVENTS_OUT_OF_ORDER",
                        f"{what} {i} of run {self.run_id} is dated "
                        f"{format_time(event.time)}, before {what} {i - 1} "
                        f"({format_time(events[i - 1].time)}); list fills and "
                        "rejections in time order",
                        run_id=self.run_id,
                        symbol=self.symbols[event.symbol],
                        bar_time=format_time(event.time))

    def check_symbols(self, step, view):
        for bar in step.bars:
            if not self.known(bar.symbol):
                raise self.unknown_symbol("a bar", bar.symbol, step.time)
        for position in view.positions:
            if not self.known(position.symbol):
                raise self.unknown_symbol("a position", position.symbol,
                                          step.time)


class StrategyEngine:
    """The runs by id. Thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._runs = {}

    def list_strategies(self, request):
        response = pb.strategy.ListStrategiesResponse()
        for name, strategy in sorted(STRATEGIES.items()):
            response.strategies.add(name=name,
                                    description=strategy.DESCRIPTION,
                                    params=strategy.schemas())
        return response

    def start_run(self, request):
        run_id = request.run_id
        if not run_id:
            raise StageFailure(
                grpc.StatusCode.INVALID_ARGUMENT, "MISSING_RUN_ID",
                "StartRun needs a run_id; the coordinator assigns one per run")
        if not request.symbols:
            raise StageFailure(
                grpc.StatusCode.INVALID_ARGUMENT, "NO_SYMBOLS",
                f"run {run_id} has no symbols; list the data's symbols in "
                "StartRun", run_id=run_id)
        try:
            strategy, params = self.resolve(request.strategy)
        except StageFailure as failure:
            raise failure.with_context(run_id=run_id)
        # The fingerprint records the parameters as they will run.
        response = pb.strategy.StrategyStartResponse(resolved=request.strategy)
        response.resolved.params.clear()
        for name, value in params.items():
            response.resolved.params[name].CopyFrom(value)
        symbols = list(request.symbols)
        run = StrategyRun(run_id, symbols, strategy(symbols, params))
        # A run of several strategies starts one instance per strategy_id.
        key = (run_id, request.strategy_id)
        with self._lock:
            if key in self._runs:
                raise StageFailure(
                    grpc.StatusCode.ALREADY_EXISTS, "RUN_EXISTS",
                    f"run {run_id} is already started", run_id=run_id,
                    hint="end the run first or use a new run id")
            self._runs[key] = run
        return response

    @staticmethod
    def resolve(spec):
        strategy = STRATEGIES.get(spec.name)
        if strategy is None:
            what = (f'unknown strategy "{spec.name}"' if spec.name
                    else "no strategy named")
            raise invalid_fields("UNKNOWN_STRATEGY", [(
                "strategy.name",
                f"{what}; known strategies: {', '.join(sorted(STRATEGIES))}")])
        params = resolve_params(strategy.schemas(), spec.params)
        problems = strategy.check_params(params)
        if problems:
            raise invalid_fields("INVALID_PARAMS", problems)
        return strategy, params

    def on_steps(self, request):
        run = self._find(request, remove=False)
        response = pb.strategy.StrategyStepsResponse()
        with run.lock:
            run.steps(request, response)
        return response

    def end_run(self, request):
        self._find(request, remove=True)
        return pb.strategy.StrategyEndResponse()

    def _find(self, request, remove):
        run_id = request.run_id
        key = (run_id, request.strategy_id)
        with self._lock:
            run = self._runs.pop(key, None) if remove else self._runs.get(key)
        if run is None:
            raise StageFailure(
                grpc.StatusCode.NOT_FOUND, "UNKNOWN_RUN",
                f"no run {run_id} in {STAGE}", run_id=run_id,
                hint="call StartRun first; a run is forgotten after EndRun")
        return run


class StrategyService:
    """The gRPC adapter: calls the engine, turns failures into statuses."""

    def __init__(self, engine):
        self._engine = engine

    @staticmethod
    def _call(method, request, context):
        try:
            return method(request)
        except StageFailure as failure:
            context.abort_with_status(failure.grpc_status())

    def ListStrategies(self, request, context):
        return self._call(self._engine.list_strategies, request, context)

    def StartRun(self, request, context):
        return self._call(self._engine.start_run, request, context)

    def OnSteps(self, request, context):
        return self._call(self._engine.on_steps, request, context)

    def EndRun(self, request, context):
        return self._call(self._engine.end_run, request, context)

    def Session(self, request_iterator, context):
        """A run's calls over one stream: what the coordinator uses with its
        built-in strategy stage. A plug-in (strategy.address) is called with
        the unary rpcs above, so it need not implement this one."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED,
                      "this plug-in serves the unary rpcs; the coordinator "
                      "calls plug-ins with them")


def add_health_service(server):
    """The standard health service, when grpcio-health-checking is
    installed (Debian 12 does not package it)."""
    try:
        from grpc_health.v1 import health, health_pb2, health_pb2_grpc
    except ImportError:
        return
    servicer = health.HealthServicer()
    for service in ("", "backtest.v1.StrategyService"):
        servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", default="127.0.0.1:7300",
                        help="HOST:PORT to serve on; port 0 picks a free one")
    parser.add_argument("--stubs",
                        help="directory of the generated stubs, generated "
                        "there when missing (default: a temporary one)")
    parser.add_argument("--protos", default=os.path.join(HERE, "..", "..",
                                                         "protos"),
                        help="the repository's protos/ directory")
    args = parser.parse_args()
    stubs = args.stubs
    if stubs is None:
        stubs = tempfile.mkdtemp(prefix="sma_cross_stubs_")
        atexit.register(shutil.rmtree, stubs, ignore_errors=True)
    load_contracts(stubs, args.protos)

    options = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
               ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=WORKER_THREADS),
                         options=options)
    pb.strategy_grpc.add_StrategyServiceServicer_to_server(
        StrategyService(StrategyEngine()), server)
    add_health_service(server)
    host = args.listen.rsplit(":", 1)[0]
    port = server.add_insecure_port(args.listen)
    if port == 0:
        sys.exit(f"cannot listen on {args.listen}: the address is in use or "
                 "not local; pick another --listen")
    server.start()
    print(f"strategy service listening on {host}:{port}", flush=True)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=None).wait()


if __name__ == "__main__":
    main()
