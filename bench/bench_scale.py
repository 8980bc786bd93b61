"""Does a plan's cost grow in proportion to its size? (run on demand: python bench/bench_scale.py)

Generates plans with 1,000 and 10,000 numbered items (sections of 100 items each) in a
temporary folder, and for each, in a fresh child process:

* ``check``: load + validate (what ``gendoc check`` does before templates), best of N;
* ``render``: the full pipeline, load + validate + template + typeset + atomic write, best of N;
* peak memory: the child's peak RSS (``ru_maxrss``) and the Python heap peak of one full
  render under ``tracemalloc``.

Prints a table with seconds and items/s, and the 10k/1k ratios (10.0 is proportional).
Options: ``--sizes 1000 10000``, ``--repeat 3``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PER_SECTION = 100


def make_plan(n_items: int, path: Path) -> Path:
    """A notice with n_items numbered items, PER_SECTION to a level-1 section."""
    lines = ["schema_version: 1", "template: notice", "meta:", "  genre: 通知",
             "  title: 关于规模测试的通知", "  issuer:", "    name: 中共测试县卫生局委员会",
             "  recipients: [局属各单位]", "  date: 2014-02-28", "sections:"]
    for s in range((n_items + PER_SECTION - 1) // PER_SECTION):
        lines.append(f"  - heading: 第{s + 1}部分工作")
        lines.append("    items:")
        for i in range(min(PER_SECTION, n_items - s * PER_SECTION)):
            lines.append(f"      - title: 第{i + 1}项")
            lines.append(f"        text: 第{s + 1}部分第{i + 1}项工作，各单位要认真落实各项措施，"
                         "明确责任人和完成时限，确保取得实效。")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def measure(plan_path: Path, repeat: int) -> dict:
    """In the child: best-of-N times, then one traced render for the heap peak."""
    from gendoc.plan import load_plan
    from gendoc.render import render_file

    warnings.simplefilter("ignore")
    out = plan_path.with_suffix(".docx")
    check = min(_timed(lambda: load_plan(plan_path)) for _ in range(repeat))
    render = min(_timed(lambda: render_file(plan_path, out)) for _ in range(repeat))
    tracemalloc.start()
    render_file(plan_path, out)
    heap_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"check": check, "render": render, "heap_mib": heap_peak / 2**20,
            "rss_mib": rss_kib / 1024, "plan_kib": plan_path.stat().st_size / 1024,
            "docx_kib": out.stat().st_size / 1024}


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child), args.repeat)))
        return

    print(f"gendoc scale bench — Python {platform.python_version()}, {platform.machine()}, "
          f"best of {args.repeat}")
    rows = {}
    with tempfile.TemporaryDirectory(prefix="gendoc-bench-") as tmp:
        for n in args.sizes:
            plan = make_plan(n, Path(tmp) / f"plan{n}.yaml")
            proc = subprocess.run([sys.executable, __file__, "--child", str(plan),
                                   "--repeat", str(args.repeat)],
                                  capture_output=True, text=True, check=True)
            rows[n] = json.loads(proc.stdout.strip().splitlines()[-1])

    head = (f"{'items':>7} {'plan KiB':>9} {'docx KiB':>9} {'check s':>8} {'check it/s':>11} "
            f"{'render s':>9} {'render it/s':>12} {'heap MiB':>9} {'RSS MiB':>8}")
    print(head)
    print("-" * len(head))
    for n, r in rows.items():
        print(f"{n:>7,} {r['plan_kib']:>9.0f} {r['docx_kib']:>9.0f} {r['check']:>8.3f} "
              f"{n / r['check']:>11,.0f} {r['render']:>9.3f} {n / r['render']:>12,.0f} "
              f"{r['heap_mib']:>9.1f} {r['rss_mib']:>8.1f}")
    sizes = sorted(rows)
    if len(sizes) >= 2:
        small, big = sizes[0], sizes[-1]
        a, b = rows[small], rows[big]
        print(f"\nratio {big:,}/{small:,} items = {big / small:g}: "
              f"check {b['check'] / a['check']:.2f}x, render {b['render'] / a['render']:.2f}x, "
              f"heap {b['heap_mib'] / a['heap_mib']:.2f}x "
              f"(proportional = {big / small:g}x)")


if __name__ == "__main__":
    main()
