"""Summarise a JAX profiler trace (``*.xplane.pb``): where the device and the host spent their time.

``benchmarks/jax_step_breakdown.py --trace DIR`` writes one for 20 training steps.
For each plane (a GPU, the host CPU) and each of its lines (a CUDA stream, a host
thread) this prints the busy time, the number of events, and the operations that took
longest in total; with ``--steps N`` also per step. Host lines nest their events (a
Python call inside another), so their busy time can exceed their span; a GPU stream's
kernels do not nest, and its busy time against its span is the GPU's utilisation. Reading the file needs the XPlane
protobuf classes, which TensorFlow ships (``tensorflow.tsl.profiler.protobuf``) and
``xprof`` or ``tensorboard-plugin-profile`` provide too; run it where one is installed.

    python benchmarks/jax_trace_summary.py build/trace --steps 20
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path


def load_xspace(path: Path):
    for module in ("tensorflow.tsl.profiler.protobuf.xplane_pb2", "tsl.profiler.protobuf.xplane_pb2",
                   "xprof.protobuf.xplane_pb2", "tensorboard_plugin_profile.protobuf.xplane_pb2"):
        try:
            xplane_pb2 = __import__(module, fromlist=["XSpace"])
            break
        except ImportError:
            continue
    else:
        raise SystemExit("Reading an .xplane.pb needs TensorFlow, xprof or tensorboard-plugin-profile installed.")
    space = xplane_pb2.XSpace()
    space.ParseFromString(path.read_bytes())
    return space


def summarise(space, steps: int = 1, top: int = 12) -> list[dict]:
    """One record per non-empty line of each plane: busy ms, events, the longest operations."""
    records = []
    for plane in space.planes:
        names = {key: meta.name for key, meta in plane.event_metadata.items()}
        for line in plane.lines:
            if not line.events:
                continue
            totals, counts = collections.Counter(), collections.Counter()
            start = min(event.offset_ps for event in line.events)
            end = max(event.offset_ps + event.duration_ps for event in line.events)
            for event in line.events:
                name = names.get(event.metadata_id, str(event.metadata_id))
                totals[name] += event.duration_ps
                counts[name] += 1
            busy_ps = sum(event.duration_ps for event in line.events)
            records.append({
                "plane": plane.name, "line": line.name, "events": len(line.events),
                "events_per_step": round(len(line.events) / steps, 1),
                "span_ms": round((end - start) / 1e9, 3), "busy_ms": round(busy_ps / 1e9, 3),
                "busy_ms_per_step": round(busy_ps / 1e9 / steps, 3),
                "top": [{"name": name[:120], "ms": round(ps / 1e9, 3), "count": counts[name]}
                        for name, ps in totals.most_common(top)],
            })
    return records


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trace", type=Path, help="an .xplane.pb file, or a folder to search for one")
    parser.add_argument("--steps", type=int, default=1, help="steps the trace holds (for per-step numbers)")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--json", action="store_true", help="print the records as JSON lines")
    args = parser.parse_args(argv)
    files = [args.trace] if args.trace.is_file() else sorted(args.trace.rglob("*.xplane.pb"))
    if not files:
        raise SystemExit(f"No .xplane.pb file under {args.trace}; write one with jax_step_breakdown.py --trace.")
    for record in summarise(load_xspace(files[-1]), args.steps, args.top):
        if args.json:
            print(json.dumps(record))
            continue
        print(f"{record['plane']} / {record['line']}: {record['events']} events "
              f"({record['events_per_step']} per step), busy {record['busy_ms']} ms of {record['span_ms']} ms")
        for op in record["top"]:
            print(f"    {op['ms']:9.3f} ms  x{op['count']:<5} {op['name']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
