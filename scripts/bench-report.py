#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report of scripts/bench.sh: medians of the runs, ratios against stock
nvmet-tcp (the NVMe/RDMA rows against stock nvmet-rdma), the goals of the
benchmark issue, the scale figures.

usage: bench-report.py OUTPUT.txt OUTDIR
Reads the guest's output (lines "perf,..." and "scale,..."), writes
OUTDIR/perf.csv (every run), OUTDIR/summary.csv (medians and ratios),
OUTDIR/scale.csv, OUTDIR/report.md (also printed) and, with gnuplot,
OUTDIR/bench.png.
"""
import csv
import os
import shutil
import statistics
import subprocess
import sys

TCP_CONFIGS = ["stock", "ours", "offload", "offnic", "ceiling"]
RDMA_CONFIGS = ["rstock", "rours", "roff"]
CONFIGS = TCP_CONFIGS + RDMA_CONFIGS
LABEL = {
    "stock": "(a) stock nvmet-tcp",
    "ours": "(b) ours, software",
    "offload": "(c) ours, offloaded to nicsim",
    "offnic": "(c') offloaded, TCP rx on NIC core",
    "ceiling": "(d) fio on null_blk (ceiling)",
    "rstock": "(r-a) stock nvmet-rdma",
    "rours": "(r-b) ours, nvmet_offload_rdma",
    "roff": "(r-c) ours, taken at connect by nicsim_rdma",
}
WORKLOADS = ["rr4k-qd1", "rr4k-qd32", "rw4k-qd1", "rw4k-qd32", "sr128k-qd16", "sr1m-qd4"]
WL_LABEL = {
    "rr4k-qd1": "4k randread QD1",
    "rr4k-qd32": "4k randread QD32",
    "rw4k-qd1": "4k randwrite QD1",
    "rw4k-qd32": "4k randwrite QD32",
    "sr128k-qd16": "128k seq read QD16",
    "sr1m-qd4": "1M seq read QD4",
}
FIELDS = ["iops", "p50_us", "p99_us", "ini_us", "tgt_us", "nic_us", "eng_us",
          "busy0", "busy1", "busy2", "busy3"]


def main():
    src, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    perf, scale, idle = [], [], []
    with open(src, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("perf,config,"):
                continue
            if line.startswith("perf,"):
                perf.append(line.split(",")[1:])
            elif line.startswith("idle,"):
                idle.append([float(x) for x in line.split(",")[2:]])
            elif line.startswith("scale,"):
                scale.append(line.split(",", 3)[1:])

    with open(os.path.join(outdir, "perf.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["config", "workload", "rep"] + FIELDS)
        w.writerows(perf)
    with open(os.path.join(outdir, "scale.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["metric", "value", "unit"])
        w.writerows(scale)

    runs = {}
    for r in perf:
        vals = [float(x) for x in r[3:]]
        # older outputs lack the busy columns
        runs.setdefault((r[0], r[1]), []).append(vals + [float("nan")] * (len(FIELDS) - len(vals)))
    med = {k: [statistics.median(c) for c in zip(*v)] for k, v in runs.items()}
    nreps = max((len(v) for v in runs.values()), default=0)
    cfgs = [c for c in TCP_CONFIGS if any(k[0] == c for k in med)]
    rcfgs = [c for c in RDMA_CONFIGS if any(k[0] == c for k in med)]
    wls = [w for w in WORKLOADS if any(k[1] == w for k in med if k[0] in cfgs)]
    rwls = [w for w in WORKLOADS if any(k[1] == w for k in med if k[0] in rcfgs)]

    def m(c, w, field):
        v = med.get((c, w))
        return v[FIELDS.index(field)] if v else None

    def ratio(a, b):
        return a / b if a is not None and b else None

    md = []
    sumrows = []
    md.append(f"Medians of {nreps} runs. CPU: microseconds of vCPU time per I/O; "
              "initiator = vCPUs 0-1 (nvme-tcp host, fio), target host core = vCPU 2 "
              "(and any vCPU but 0, 1, 3), NIC core = vCPU 3 (nicsim engine); "
              "ratios against (a); busy %: each vCPU's busy share over the run (the one "
              "near 100 limits the rate).\n")
    if idle:
        busy = [statistics.median(c) for c in zip(*idle)]
        md.append("Idle check (each vCPU's busy share over 2 s with nothing running, median "
                  "of the rounds): " + ", ".join(f"vCPU {i} {b:.1f}%" for i, b in enumerate(busy)) +
                  (". **Above 5%: housekeeping was not kept off the vCPUs.**"
                   if max(busy) > 5 else ".") + "\n")
    hl = os.path.join(outdir, "hostload.txt")
    if os.path.exists(hl):
        loads = [float(x.split()[0]) for x in open(hl) if x.strip()]
        if loads:
            ncpu = os.cpu_count()
            busy = statistics.median(loads)
            md.append(f"Host during the run: {ncpu} CPUs, 1-min load average median {busy:.1f} "
                      f"(max {max(loads):.1f}) over {len(loads)} samples; the VM itself loads it "
                      "with up to 4 busy vCPUs. " +
                      ("**The host had other work: it schedules the vCPU threads late, which "
                       "slows every cross-vCPU wake-up (IOPS) and skews the guest's tick-sampled "
                       "CPU accounting; quote a quiet run.**"
                       if busy > ncpu + 0.5 else "") + "\n")
    for w in wls:
        md.append(f"### {WL_LABEL.get(w, w)}\n")
        md.append("| config | IOPS | p50 us | p99 us | initiator CPU us/IO | "
                  "target host-core CPU us/IO | NIC-core CPU us/IO | engine thread us/IO | IOPS vs (a) | "
                  "host-core CPU/IO vs (a) | host+NIC CPU/IO vs (a) | busy % vCPU 0/1/2/3 |")
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        s_iops, s_tgt = m("stock", w, "iops"), m("stock", w, "tgt_us")
        s_tot = s_tgt + m("stock", w, "nic_us") if s_tgt is not None else None
        for c in cfgs:
            if (c, w) not in med:
                continue
            iops, tgt, nic = m(c, w, "iops"), m(c, w, "tgt_us"), m(c, w, "nic_us")
            ri, rt = ratio(iops, s_iops), ratio(tgt, s_tgt)
            rtot = ratio(tgt + nic, s_tot)
            tgt_s = "-" if c == "ceiling" else f"{tgt:.1f}"
            nic_s = "-" if c == "ceiling" else f"{nic:.1f}"
            eng = m(c, w, "eng_us")
            eng_s = f"{eng:.1f}" if c in ("offload", "offnic") else "-"
            busy_s = "/".join(f"{m(c, w, f'busy{i}'):.0f}" for i in range(4))
            if "nan" in busy_s:
                busy_s = "-"
            rt_s = "-" if c == "ceiling" or rt is None else f"{rt:.2f}x"
            rtot_s = "-" if c == "ceiling" or rtot is None else f"{rtot:.2f}x"
            md.append(f"| {LABEL[c]} | {iops:.0f} | {m(c, w, 'p50_us'):.0f} | "
                      f"{m(c, w, 'p99_us'):.0f} | {m(c, w, 'ini_us'):.1f} | {tgt_s} | "
                      f"{nic_s} | {eng_s} | {ri:.2f}x | {rt_s} | {rtot_s} | {busy_s} |"
                      if ri is not None else
                      f"| {LABEL[c]} | {iops:.0f} | - | - | - | {tgt_s} | {nic_s} | {eng_s} | - | - | - | {busy_s} |")
            sumrows.append([c, w] + [f"{x:.1f}" for x in med[(c, w)]] +
                           [f"{ri:.3f}" if ri else "", f"{rt:.3f}" if rt and c != "ceiling" else "",
                            f"{rtot:.3f}" if rtot and c != "ceiling" else ""])
        md.append("")

    if rwls:
        md.extend(rdma_tables(rcfgs, rwls, med, m, ratio, sumrows))

    with open(os.path.join(outdir, "summary.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["config", "workload"] + FIELDS +
                    ["iops_vs_stock", "host_cpu_vs_stock", "host_nic_cpu_vs_stock"])
        wr.writerows(sumrows)

    # the goals of the benchmark issue, at 4k randread QD32
    w = "rr4k-qd32"
    if ("stock", w) in med:
        md.append("### Goals (4k randread QD32, target CPU = target host core)\n")

        def holds(b):
            return "**holds**" if b else "**does not hold**"
        if ("ours", w) in med:
            ri = ratio(m("ours", w, "iops"), m("stock", w, "iops"))
            rt = ratio(m("ours", w, "tgt_us"), m("stock", w, "tgt_us"))
            md.append(f"- software path >= 1.3x stock IOPS: {ri:.2f}x, {holds(ri >= 1.3)}; "
                      f"with <= 0.8x its CPU per I/O: {rt:.2f}x, {holds(rt <= 0.8)}")
        for c in ("offload", "offnic"):
            if (c, w) in med:
                ri = ratio(m(c, w, "iops"), m("stock", w, "iops"))
                rt = ratio(m(c, w, "tgt_us"), m("stock", w, "tgt_us"))
                md.append(f"- {LABEL[c]}: host-core CPU per offloaded I/O <= 5% of stock's: "
                          f"{rt * 100:.1f}%, {holds(rt <= 0.05)}; IOPS >= stock: {ri:.2f}x, "
                          f"{holds(ri >= 1.0)}")
        md.append("")

    if scale:
        md.append("### Scale\n")
        md.append("| metric | value | |")
        md.append("|---|---:|---|")
        for name, val, unit in scale:
            md.append(f"| {name} | {val} | {unit} |")
        md.append("")

    report = "\n".join(md)
    with open(os.path.join(outdir, "report.md"), "w") as f:
        f.write(report + "\n")
    print(report)
    chart(outdir, cfgs, wls, m)


def rdma_tables(cfgs, wls, med, m, ratio, sumrows):
    """NVMe/RDMA over rdma_rxe, ours against stock nvmet-rdma. rxe hands a
    packet for a local address to its receive path on the sending CPU, so
    host and target share vCPUs: the CPU figure is all vCPUs together, and
    ours minus stock is the targets' difference (same host, same rxe)."""
    md = ["### NVMe/RDMA over rdma_rxe (ours against stock nvmet-rdma)\n",
          "CPU: microseconds of all vCPUs together per I/O (host, rxe and target share "
          "them: no per-side split); ratios against (r-a); ours - stock: the difference of "
          "the two targets' cost per I/O.\n",
          "(r-c): the NIC engine's thread runs on vCPU 3; 'without NIC' is all vCPUs "
          "minus that thread's own time, what the machine's cores keep.\n",
          "| workload | config | IOPS | p50 us | p99 us | CPU us/IO (all vCPUs) | "
          "NIC engine thread us/IO | without NIC us/IO | "
          "IOPS vs (r-a) | CPU/IO vs (r-a) | without NIC vs (r-a) | ours - stock us/IO |",
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for w in wls:
        def tot(c):
            return m(c, w, "ini_us") + m(c, w, "tgt_us") + m(c, w, "nic_us") if (c, w) in med else None
        s_iops, s_tot = m("rstock", w, "iops"), tot("rstock")
        for c in cfgs:
            if (c, w) not in med:
                continue
            ri, rt = ratio(m(c, w, "iops"), s_iops), ratio(tot(c), s_tot)
            diff = f"{tot(c) - s_tot:+.1f}" if c != "rstock" and s_tot is not None else "-"
            eng = m(c, w, "eng_us") if c == "roff" else 0.0
            host = tot(c) - eng
            rh = ratio(host, s_tot)
            md.append(f"| {WL_LABEL.get(w, w)} | {LABEL[c]} | {m(c, w, 'iops'):.0f} | "
                      f"{m(c, w, 'p50_us'):.0f} | {m(c, w, 'p99_us'):.0f} | {tot(c):.1f} | "
                      f"{eng:.1f} | {host:.1f} | "
                      f"{f'{ri:.2f}x' if ri else '-'} | {f'{rt:.2f}x' if rt else '-'} | "
                      f"{f'{rh:.2f}x' if rh else '-'} | {diff} |")
            sumrows.append([c, w] + [f"{x:.1f}" for x in med[(c, w)]] +
                           [f"{ri:.3f}" if ri else "", f"{rt:.3f}" if rt else "", ""])
    md.append("")
    return md


def chart(outdir, cfgs, wls, m):
    if not wls:
        return
    if not shutil.which("gnuplot"):
        print("bench-report: no gnuplot (apt-get install gnuplot-nox): no chart", file=sys.stderr)
        return
    dat = os.path.join(outdir, "chart.dat")
    with open(dat, "w") as f:
        for field in ("iops", "tgt_us", "nic_us"):
            f.write("workload " + " ".join(cfgs) + "\n")
            for w in wls:
                vals = []
                for c in cfgs:
                    v = m(c, w, field)
                    if v is None or (c == "ceiling" and field != "iops"):
                        v = "NaN"
                    vals.append(str(v))
                f.write(f"\"{WL_LABEL.get(w, w)}\" " + " ".join(vals) + "\n")
            f.write("\n\n")
    def cols(idx, skip_ceiling):
        return ", ".join(
            (f"'{dat}' index {idx} u {i + 2}:xtic(1) ti col" if not n else f"'' index {idx} u {i + 2} ti col")
            for n, i in enumerate(i for i, c in enumerate(cfgs) if not (skip_ceiling and c == "ceiling")))

    gp = f"""
set terminal pngcairo size 1400,1200 font ',10'
set output '{os.path.join(outdir, 'bench.png')}'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside right top
set grid ytics
set multiplot layout 3,1
set title 'IOPS (log scale; medians)'
set logscale y
plot {cols(0, False)}
unset logscale y
set title 'target host-core CPU per I/O (us; vCPU 2)'
plot {cols(1, True)}
set title 'NIC-core CPU per I/O (us; vCPU 3, nicsim engine)'
plot {cols(2, True)}
unset multiplot
"""
    r = subprocess.run(["gnuplot"], input=gp, text=True, capture_output=True)
    if r.returncode:
        print("bench-report: gnuplot failed:\n" + r.stderr, file=sys.stderr)
    else:
        print(f"\nChart: {os.path.join(outdir, 'bench.png')}", file=sys.stderr)


if __name__ == "__main__":
    main()
