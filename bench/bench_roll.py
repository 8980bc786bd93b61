"""How long does ``gendoc roll`` take on a large plan? (run on demand: python bench/bench_roll.py)

Generates a plan with N numbered items (default 1,000 and 10,000; sections of 100 items),
every item with a date (exact days, ranges, lists, 旬, 底前, 份, 半年 in turn) and every tenth
with a year and a 第十二期 in its text, so the review list has work to do. For each size:

* ``check``: load + validate alone (what ``gendoc check`` does first), best of N: the yardstick
  (README's table has it for a quiet machine), so a busy machine shows in both columns;
* ``roll``: the library call behind the command (load + validate + compose + move every
  date + review list + validate the result), best of N, wall clock and CPU time;
* ``cli``: ``gendoc roll PLAN -o NEW.yaml --report R.json`` in a fresh process, wall clock,
  best of N (includes Python start-up and imports);
* ``diff``: ``diff_plans`` of the plan and its rolled version (both already loaded).

Options: ``--sizes 1000 10000``, ``--repeat 3``. The issue's budget: 10,000 items under 2 s.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PER_SECTION = 100
FORMS = ["2014-03-{d:02d}", "2014-04-{d:02d}..2014-04-{e:02d}", "2014-05 上旬", "2014-06 底前",
         "2014-07 份", "2014 下半年", "2014-09-{d:02d},{e:02d}", "2014-10-{d:02d} 起"]


def make_plan(n_items: int, path: Path) -> Path:
    lines = ["# 规模测试：每一项都有日期", "schema_version: 1", "template: notice", "meta:", "  genre: 通知",
             "  title: 关于规模测试的通知", "  issuer:", "    name: 中共测试县卫生局委员会",
             "  doc_number: {code: 卫党发, year: 2014, seq: 3}",
             "  recipients: [局属各单位]", "  date: 2014-02-28", "sections:"]
    k = 0
    for s in range((n_items + PER_SECTION - 1) // PER_SECTION):
        lines.append(f"  - heading: 第{s + 1}部分工作")
        lines.append("    items:")
        for i in range(min(PER_SECTION, n_items - s * PER_SECTION)):
            d = 1 + k % 20
            when = FORMS[k % len(FORMS)].format(d=d, e=d + 5)
            extra = "2014年完成第十二期培训，" if k % 10 == 0 else ""
            lines.append(f"      - title: 第{i + 1}项   # 第 {k + 1} 项")
            lines.append(f"        when: {when}")
            lines.append(f"        text: {extra}第{s + 1}部分第{i + 1}项工作，各单位要认真落实各项措施，"
                         "明确责任人和完成时限，确保取得实效。")
            k += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _cpu(fn) -> float:
    t = time.process_time()
    fn()
    return time.process_time() - t


def measure(n: int, repeat: int, folder: Path) -> dict:
    from gendoc.plan import load_plan
    from gendoc.plandiff import diff_plans
    from gendoc.roll import open_for_roll, roll

    plan = make_plan(n, folder / f"plan-{n}.yaml")
    warnings.simplefilter("ignore")

    def lib():
        src, model, before = open_for_roll(plan)
        result = roll(src, model, 2015, output_name="new.yaml", warnings_before=before)
        src.bytes_out(result.text)
        return result

    check = min(_timed(lambda: load_plan(plan)) for _ in range(repeat))
    best = min(_timed(lib) for _ in range(repeat))
    cpu = min(_cpu(lib) for _ in range(repeat))
    result = lib()
    out = folder / f"plan-{n}-2015.yaml"
    cmd = [sys.executable, "-c", "from gendoc.cli import main; main()", "roll", str(plan), "-o", str(out), "--report",
           str(folder / f"r-{n}.json")]
    def cli_once():
        out.unlink(missing_ok=True)  # roll never overwrites a plan
        subprocess.run(cmd, check=True, capture_output=True)
    cli = min(_timed(cli_once) for _ in range(repeat))
    diff = min(_timed(lambda: diff_plans(result.plan, result.new_plan)) for _ in range(repeat))
    return {"items": n, "dates": len(result.moves), "review": len(result.review), "hits": len(result.hits),
            "plan_kib": plan.stat().st_size / 1024, "check": check, "roll": best, "cpu": cpu,
            "cli": cli, "diff": diff}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"{platform.machine()}, Python {platform.python_version()}, {platform.platform()}")
    print(f"{'items':>7} {'dates':>7} {'review':>7} {'KiB':>7} {'check s':>8} {'roll s':>8} {'cpu s':>8} "
          f"{'cli s':>8} {'diff s':>8}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            r = measure(n, args.repeat, Path(tmp))
            rows.append(r)
            print(f"{r['items']:>7} {r['dates']:>7} {r['review']:>7} {r['plan_kib']:>7.0f} "
                  f"{r['check']:>8.2f} {r['roll']:>8.2f} {r['cpu']:>8.2f} {r['cli']:>8.2f} {r['diff']:>8.2f}")
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        print(f"ratio {b['items'] / a['items']:.0f}x items: roll {b['roll'] / a['roll']:.1f}x, "
              f"diff {b['diff'] / a['diff']:.1f}x")


if __name__ == "__main__":
    main()
