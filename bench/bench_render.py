"""Speed of the pipeline on this machine (run on demand: python bench/bench_render.py).

1. documents per second, one process: the example 实施方案 plan, loaded once, rendered
   to .docx bytes N times (template + typesetter), and the same with the load included;
2. a long plan (40+ pages): render + PDF (LibreOffice) + verify, wall time of each step.
"""

from __future__ import annotations

import platform
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from gendoc.plan import load_plan  # noqa: E402
from gendoc.render import build_document, render_file  # noqa: E402
from gendoc.typeset import Typesetter  # noqa: E402

PLAN = ROOT / "plans" / "mass-line-implementation-plan-2014.yaml"


def docs_per_second(n: int = 300) -> tuple[float, float]:
    plan = load_plan(PLAN)
    ts = Typesetter()
    ts.render(build_document(plan))  # warm caches
    t = time.perf_counter()
    for _ in range(n):
        ts.render(build_document(plan))
    body_only = n / (time.perf_counter() - t)
    t = time.perf_counter()
    for _ in range(n // 3):
        ts.render(build_document(load_plan(PLAN)))
    with_load = (n // 3) / (time.perf_counter() - t)
    return body_only, with_load


def long_plan_timing() -> dict:
    from test_render_pdf import _long_plan
    from gendoc.pdf import docx_to_pdf, have_soffice
    from gendoc.verify import verify
    out = {}
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        plan = _long_plan(d)
        t = time.perf_counter()
        res = render_file(plan, d / "long.docx")
        out["render_s"] = time.perf_counter() - t
        if have_soffice():
            t = time.perf_counter()
            pdf = docx_to_pdf(res.docx, d)
            out["pdf_s"] = time.perf_counter() - t
            t = time.perf_counter()
            rep = verify(pdf)
            out["verify_s"] = time.perf_counter() - t
            out["pages"] = rep.page_count
            out["verify_ok"] = rep.ok
    return out


if __name__ == "__main__":
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    a, b = docs_per_second()
    print(f"render .docx (plan loaded once): {a:8.1f} documents/s ({1000 / a:.2f} ms each)")
    print(f"render .docx (load + validate each time): {b:8.1f} documents/s")
    lp = long_plan_timing()
    for k, v in lp.items():
        print(f"long plan {k}: {v:.2f}" if isinstance(v, float) else f"long plan {k}: {v}")
