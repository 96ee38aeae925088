"""One macro that turns .proto files into a C++ library with the system protoc.

Bazel's native proto_library and gRPC's cc_grpc_library expect protobuf and gRPC
built from source, which this offline build cannot fetch. This macro runs
Debian's /usr/bin/protoc and grpc_cpp_plugin instead. All protos are rooted at
protos/, so `import "backtest/v1/types.proto";` and
`#include "backtest/v1/types.pb.h"` are how they are named everywhere.
"""

load("@rules_cc//cc:defs.bzl", "cc_library")

_PROTO_ROOT = "protos"

def _stem(src):
    return src[:-len(".proto")]

def cc_proto_grpc_library(name, srcs, deps = [], grpc = True, visibility = None):
    """Generates <name> (a cc_library) from srcs, with gRPC stubs when grpc=True.

    srcs are paths relative to protos/ (this macro is used from protos/BUILD).
    deps are other cc_proto_grpc_library targets whose .proto files srcs import.
    """
    outs = []
    for src in srcs:
        outs += [_stem(src) + ".pb.h", _stem(src) + ".pb.cc"]
        if grpc:
            outs += [_stem(src) + ".grpc.pb.h", _stem(src) + ".grpc.pb.cc"]

    native.filegroup(
        name = name + "_protos",
        srcs = srcs + [d + "_protos" for d in deps],
        visibility = visibility,
    )

    grpc_flags = ""
    if grpc:
        grpc_flags = ("--grpc_out=$(RULEDIR) " +
                      "--plugin=protoc-gen-grpc=$$(command -v grpc_cpp_plugin) ")
    native.genrule(
        name = name + "_generate",
        srcs = [name + "_protos"],
        outs = outs,
        cmd = ("/usr/bin/protoc -I" + _PROTO_ROOT + " --cpp_out=$(RULEDIR) " +
               grpc_flags +
               " ".join([_PROTO_ROOT + "/" + s for s in srcs])),
        message = "protoc " + name,
    )

    cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        includes = ["."],
        deps = deps + ["//third_party:grpc"],
        visibility = visibility,
    )
