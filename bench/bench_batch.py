"""Speed of ``gendoc batch`` on this machine (run on demand: python bench/bench_batch.py).

Measures, in one run:

1. ``gendoc batch PLAN --branches N.csv -o DIR -j 2`` for N = 200, 1,000 and 10,000 branches
   of the example 实施方案 (a CSV with columns id,name: the shared path), wall time of the
   whole command (the best of ``--repeat`` runs; of two at 10,000) and, in one more run, peak
   memory of the whole process tree (the command and its workers, sampled from /proc: the
   sampling takes CPU from the run, so it has a run of its own);
2. the same plan with a structural override per branch (a ``closing`` column: the full path),
   counted separately;
3. docxtpl, one core, on the same document: gendoc's own .docx of the parent, with the
   issuer's name, short name and self-reference turned into ``{{ }}`` fields, rendered and
   saved once per branch (load, render, save: docxtpl's usual loop); same page count by
   construction, checked through LibreOffice when it is installed;
4. ``--pdf`` on 50 branches with -j 2: seconds (wall and CPU) per document, no soffice or
   LibreOffice folder left (the command runs with a private TMPDIR), ``gendoc verify`` on a
   sample of the PDFs;
5. the start-up: the whole command for one branch.

Every run reports CPU seconds beside wall time (user + system of the command and all its
processes): on a machine shared with other work the wall time varies with the load, which is
printed at the start and the end.

docxtpl is not a dependency of gendoc: ``pip install docxtpl`` first, or the baseline is
skipped (``--no-docxtpl``). ``--quick`` skips the 10,000-branch run.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PLAN = ROOT / "plans" / "mass-line-implementation-plan-2014.yaml"

_PLACES = "东西南北中上下新老金银铜铁山水田林河湖江石桥龙凤安平和兴福寿永宁清泉"
_KINDS = ["镇卫生院支部委员会", "乡卫生院支部委员会", "社区卫生服务中心支部委员会", "村卫生室党小组"]


def branch_names(n: int, seed: int = 9) -> list[str]:
    """Distinct, real-looking unit names; about one in five carries a number (第3…)."""
    rnd = random.Random(seed)
    out, seen = [], set()
    while len(out) < n:
        if rnd.random() < 0.2:
            name = f"中共县第{rnd.randint(1, 99999)}卫生院支部委员会"
        else:
            place = "".join(rnd.choice(_PLACES) for _ in range(rnd.randint(2, 4)))
            name = f"中共{place}{rnd.choice(_KINDS)}"
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def write_csv(path: Path, n: int, closing: bool = False) -> Path:
    lines = ["id,name" + (",closing" if closing else "")]
    for i, name in enumerate(branch_names(n)):
        extra = f",{name[2:6]}要按照本方案抓好落实。" if closing else ""
        lines.append(f"b{i:05d},{name}{extra}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _tree_rss_kib(pid: int) -> tuple[int, int]:
    """Memory of a process and all its descendants, in KiB: the sum of their proportional set
    sizes (PSS: a page shared by the forked workers counts once in all, as it is in memory
    once; the sum of RSS would count it in each of them) and the largest one's RSS."""
    total, largest, todo = 0, 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        largest = max(largest, int(line.split()[1]))
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total, largest


def run_batch_cmd(args: list[str], env: dict | None = None,
                  sample: bool = True) -> tuple[float, tuple[int, int], int, float]:
    """Wall seconds, peak RSS (KiB: whole tree, largest process; 0 unless ``sample``), exit
    code and CPU seconds (user + system, the command and every process it waited for) of
    ``gendoc batch …``.

    CPU seconds matter on a shared machine: wall time grows with other people's work, the
    CPU a run needs much less. Sampling memory (every process's smaps_rollup a hundred times
    a second) takes CPU from the run on two cores, so speed is measured in runs of its own."""
    cmd = [sys.executable, "-m", "gendoc.cli", "batch", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak = [0, 0]
    stop = threading.Event()

    def sampler():
        while not stop.is_set():
            total, largest = _tree_rss_kib(proc.pid)
            peak[0], peak[1] = max(peak[0], total), max(peak[1], largest)
            time.sleep(0.01)
    th = threading.Thread(target=sampler, daemon=True)
    if sample:
        th.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stop.set()
    if sample:
        th.join()
    if proc.returncode not in (0, 3):
        sys.stderr.write(err.decode("utf-8", "replace"))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, (peak[0], peak[1]), proc.returncode, cpu


def gendoc_runs(work: Path, sizes: list[int], repeat: int) -> dict:
    out = {}
    for n in sizes:
        csv_path = write_csv(work / f"{n}.csv", n)
        best = None
        runs = repeat if n <= 1000 else 2
        for r in range(runs + 1):   # the timed runs, then one sampling memory
            dest = work / f"out-{n}-{r}"
            wall, peak, rc, cpu = run_batch_cmd([str(PLAN), "--branches", str(csv_path), "-o", str(dest), "-j", "2"],
                                                sample=r == runs)
            assert rc == 0, f"gendoc batch exit {rc}"
            docs = len(list(dest.glob("*.docx")))
            assert docs == n, (docs, n)
            if r == runs:
                memory = peak
            elif best is None or wall < best[0]:
                best = (wall, cpu)
        out[n] = dict(wall=best[0], rate=n / best[0], peak_mib=memory[0] / 1024, largest_mib=memory[1] / 1024,
                      cpu=best[1])
    return out


def startup(work: Path, repeat: int) -> dict:
    """The whole command for one branch: what every run pays before its first document."""
    csv_path = write_csv(work / "1.csv", 1)
    best = None
    for r in range(repeat):
        wall, _, rc, cpu = run_batch_cmd([str(PLAN), "--branches", str(csv_path), "-o", str(work / f"out-1-{r}"), "-j", "2"],
                                         sample=False)
        assert rc == 0
        best = min(best or (wall, cpu), (wall, cpu))
    return dict(wall=best[0], cpu=best[1])


def full_path_run(work: Path, n: int = 200) -> dict:
    csv_path = write_csv(work / f"{n}-closing.csv", n, closing=True)
    wall = peak = None
    for sample in (False, True):   # speed, then memory (see run_batch_cmd)
        dest = work / f"out-full-{int(sample)}"
        w, p, rc, _ = run_batch_cmd([str(PLAN), "--branches", str(csv_path), "-o", str(dest), "-j", "2"],
                                    sample=sample)
        assert rc == 0
        wall, peak = (wall, p) if sample else (w, peak)
    import json
    rows = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))["rows"]
    assert all(r["path"] == "完整" for r in rows)
    return dict(wall=wall, rate=n / wall, peak_mib=peak[0] / 1024)


def docxtpl_template(work: Path) -> tuple[Path, Path]:
    """gendoc's own .docx of the parent, with the issuer's terms as docxtpl fields."""
    from gendoc.plan import load_plan
    from gendoc.render import build_document
    from gendoc.typeset import Typesetter
    plan = load_plan(PLAN)
    data, _ = Typesetter().render(build_document(plan))
    parent = work / "parent.docx"
    parent.write_bytes(data)
    issuer = plan.meta.issuer
    fields = [(issuer.mark, "{{ mark }}"), (issuer.name, "{{ name }}"), (issuer.short, "{{ short }}"),
              (issuer.self_ref, "{{ self_ref }}")]
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in src.namelist():
            part = src.read(name)
            if name == "word/document.xml":
                text = part.decode("utf-8")
                pat = re.compile("|".join(re.escape(a) for a, _ in fields))
                text = pat.sub(lambda m: dict(fields)[m.group()], text)
                part = text.encode("utf-8")
            z.writestr(name, part)
    tpl = work / "template.docx"
    tpl.write_bytes(buf.getvalue())
    return tpl, parent


def docxtpl_rate(work: Path, n: int = 200) -> dict | None:
    try:
        from docxtpl import DocxTemplate
    except ImportError:
        return None
    tpl, parent = docxtpl_template(work)
    raw = tpl.read_bytes()
    names = branch_names(n)
    dest = work / "out-docxtpl"
    dest.mkdir()
    t = time.perf_counter()
    for i, name in enumerate(names):
        doc = DocxTemplate(io.BytesIO(raw))
        doc.render({"name": name, "mark": name + "文件", "short": "院党支部", "self_ref": "我院"})
        doc.save(str(dest / f"b{i:05d}.docx"))
    wall = time.perf_counter() - t
    return dict(wall=wall, rate=n / wall, sample=dest / "b00000.docx", parent=parent)


def page_counts(files: list[Path], work: Path) -> list[int] | None:
    from gendoc.pdf import docx_to_pdf_many, have_soffice
    if not have_soffice():
        return None
    from gendoc.batch import pdf_pages
    pdfs = docx_to_pdf_many(files, work / "pages")
    return [pdf_pages(p) for p in pdfs]


def pdf_run(work: Path, n: int = 50) -> dict | None:
    """``--pdf`` on n branches: wall and CPU per document; every PDF there, LibreOffice's
    folders (in a private TMPDIR) all gone and no process naming them; a sample verified."""
    from gendoc.pdf import have_soffice
    if not have_soffice():
        return None
    csv_path = write_csv(work / f"{n}-pdf.csv", n)
    dest = work / "out-pdf"
    private = work / "pdf-tmp"
    private.mkdir()
    env = dict(os.environ, TMPDIR=str(private))
    wall, _, rc, cpu = run_batch_cmd([str(PLAN), "--branches", str(csv_path), "-o", str(dest), "-j", "2", "--pdf"],
                                     env=env, sample=False)
    assert rc == 0
    pdfs = sorted(dest.glob("*.pdf"))
    left = len(list(private.iterdir()))
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):   # not ps: it cuts long lines
        try:
            args_ = cmdline.read_bytes()
        except OSError:
            continue
        left += b"soffice" in args_ and os.fsencode(private) in args_
    verified = 0
    for sample in pdfs[:: max(1, len(pdfs) // 3)][:3]:
        v = subprocess.run([sys.executable, "-m", "gendoc.cli", "verify", str(sample)], cwd=ROOT,
                           capture_output=True, text=True)
        verified += v.returncode == 0
    return dict(wall=wall, per_doc=wall / n, cpu_per_doc=cpu / n, pdfs=len(pdfs), left=left, verified=verified,
                sampled=len(pdfs[:: max(1, len(pdfs) // 3)][:3]))


def machine() -> str:
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = f"{int(fh.readline().split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return (f"{platform.machine()}, {os.cpu_count()} cores, {mem}, {platform.platform(terse=True)}, "
            f"Python {platform.python_version()}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the 10,000-branch run")
    ap.add_argument("--no-docxtpl", action="store_true")
    ap.add_argument("--no-pdf", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="runs of 200 and 1,000 (best is kept)")
    ap.add_argument("--dir", default=None, help="work folder (default: a temporary one; its disk matters)")
    args = ap.parse_args()
    # as a user's installation has it: pip byte-compiles gendoc, while a checkout run with
    # PYTHONDONTWRITEBYTECODE=1 would compile every module at every start (0.2-0.3 s here)
    import compileall
    compileall.compile_dir(str(ROOT / "gendoc"), quiet=1)
    with tempfile.TemporaryDirectory(prefix="gendoc-bench-batch-", dir=args.dir) as d:
        work = Path(d)
        print(f"machine: {machine()}; work folder {work}; load average {os.getloadavg()[0]:.1f}")
        s = startup(work, args.repeat)
        print(f"gendoc batch -j 2, one branch (start-up): {s['wall']:.2f} s, {s['cpu']:.2f} s CPU")
        sizes = [200, 1000] + ([] if args.quick else [10000])
        g = gendoc_runs(work, sizes, args.repeat)
        for n, r in g.items():
            print(f"gendoc batch -j 2, {n:>6} branches (shared path): {r['wall']:6.2f} s, "
                  f"{r['rate']:7.0f} documents/s, {r['cpu']:6.2f} s CPU, peak memory {r['peak_mib']:6.1f} MiB "
                  f"all processes (PSS), {r['largest_mib']:5.1f} MiB the largest (RSS)")
        f = full_path_run(work)
        print(f"gendoc batch -j 2,    200 branches (full path, a closing override each): {f['wall']:.2f} s, "
              f"{f['rate']:.0f} documents/s, peak memory {f['peak_mib']:.1f} MiB")
        if not args.no_docxtpl:
            dt = docxtpl_rate(work)
            if dt is None:
                print("docxtpl: not installed (pip install docxtpl), baseline skipped")
            else:
                print(f"docxtpl, one core, 200 documents: {dt['wall']:.2f} s, {dt['rate']:.1f} documents/s; "
                      f"gendoc batch -j 2 at 1,000 branches: {g[1000]['rate'] / dt['rate']:.0f}x")
                sample_gendoc = next((work / "out-1000-0").glob("b00000-*.docx"))
                pages = page_counts([dt["sample"], sample_gendoc], work)
                if pages:
                    print(f"pages (LibreOffice): docxtpl {pages[0]}, gendoc {pages[1]}")
        if not args.no_pdf:
            p = pdf_run(work)
            if p is None:
                print("--pdf: LibreOffice not installed, skipped")
            else:
                print(f"gendoc batch -j 2 --pdf, 50 branches: {p['wall']:.1f} s, {p['per_doc']:.3f} s per document, "
                      f"{p['cpu_per_doc']:.3f} s CPU per document, {p['pdfs']} PDFs, soffice or folders left: "
                      f"{p['left']}, gendoc verify passed on {p['verified']} of {p['sampled']} sampled")
        if 200 in g and 1000 in g:
            for k, what in (("peak_mib", "all processes, PSS"), ("largest_mib", "largest process, RSS")):
                print(f"peak memory ({what}) 1,000 / 200: {g[1000][k] / g[200][k]:.2f}"
                      + (f"; 10,000 / 1,000: {g[10000][k] / g[1000][k]:.2f}" if 10000 in g else ""))
        print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
