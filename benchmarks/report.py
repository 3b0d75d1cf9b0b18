"""RESULTS.md from the results dictionary, and issue 4's targets checked against it."""

from __future__ import annotations

from typing import Any

from harness import fmt, markdown_table

# Row names the targets refer to (see w1_course.impls, w2_mnist.impls, w3_wide.impls).
REF = "backprop engine loop"
W1_DEMO = "backprop engine loop, J every 1000th"
W1_TEXTBOOK = "textbook numpy (the course's code)"
W1_TEXTBOOK_1000 = "textbook numpy, J every 1000th"
FIT = "backprop Network.fit"
FIT_NUMBA = "backprop Network.fit, backend='numba'"


def _rows(results, wid):
    for w in results.get("workloads", []):
        if w["id"] == wid:
            return w
    return None


def _get(group, name):
    for r in group["rows"]:
        if r["impl"] == name and r["status"] == "ok" and r["median"]:
            return r
    return None


def _prefix(group, prefix):
    return [r for r in group["rows"] if r["impl"].startswith(prefix) and r["status"] == "ok" and r["median"]]


def _met(value, bound, op):
    return None if value is None else (value <= bound if op == "<=" else value >= bound)


def _t(workload, target, value, bound, op, note="", fit_value=None):
    """One target: ``value`` is the engine loop's figure, ``fit_value`` the same for Network.fit."""
    return {"workload": workload, "target": target, "measured": value, "bound": bound, "op": op,
            "met": _met(value, bound, op), "note": note, "fit": fit_value, "fit_met": _met(fit_value, bound, op)}


def _ratio(row, other, invert=False):
    if not (row and other):
        return None
    return other["median"] / row["median"] if invert else row["median"] / other["median"]


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 4's targets (and issue 2's W1 ratio) evaluated on this run's medians, for the engine
    loop and for Network.fit (what most users call)."""
    out: list[dict[str, Any]] = []
    _w1_targets(results, out)
    _w2_targets(results, out)
    _other_targets(results, out)
    return out


def _w1_targets(results: dict[str, Any], out: list) -> None:
    w1 = _rows(results, "W1")
    if w1:
        g = w1["groups"][0]
        ours, demo, fit = _get(g, REF), _get(g, W1_DEMO), _get(g, FIT)
        tb, tb1000 = _get(g, W1_TEXTBOOK), _get(g, W1_TEXTBOOK_1000)
        torches = _prefix(g, "PyTorch eager")  # the faster of its thread settings
        torch = min(torches, key=lambda r: r["median"]) if torches else None
        fori = _get(g, "JAX lax.fori_loop")
        protos = _prefix(g, "prototype")
        if ours and tb:
            r = ours["median"] / tb["median"]
            out.append(_t("W1", "issue 2: engine ÷ textbook ≤ 1.0 (J every iteration, both)", r, 1.0, "<=",
                          fit_value=_ratio(fit, tb)))
            out.append(_t("W1", "engine ≤ 0.8 × textbook numpy (J every iteration, both)", r, 0.8, "<=",
                          fit_value=_ratio(fit, tb)))
        if demo and tb1000:
            out.append(_t("W1", "engine ≤ 0.8 × textbook (J every 1000th, both)",
                          demo["median"] / tb1000["median"], 0.8, "<="))
        if ours and torch:
            out.append(_t("W1", "≥ 10× faster than PyTorch eager (its faster row)", torch["median"] / ours["median"], 10.0,
                          ">=", torch["impl"], fit_value=_ratio(fit, torch, invert=True)))
        if ours and fori:
            out.append(_t("W1", "stretch: within 1.5× of JAX lax.fori_loop", ours["median"] / fori["median"], 1.5, "<=",
                          fit_value=_ratio(fit, fori)))
        if protos and fori:
            best = min(protos, key=lambda r: r["median"])
            out.append(_t("W1", "stretch, best prototype (not in src/): within 1.5× of JAX lax.fori_loop",
                          best["median"] / fori["median"], 1.5, "<=", best["impl"]))


def _w2_targets(results: dict[str, Any], out: list) -> None:
    w2 = _rows(results, "W2")
    if w2:
        largest = max((g.get("batch") or 0) for g in w2["groups"])
        for g in w2["groups"]:
            ours = _get(g, REF)
            if not ours:
                continue
            fit = _get(g, FIT)
            for r in _prefix(g, "PyTorch eager"):
                out.append(_t(f"W2 {g['name']}", f"engine ÷ {r['impl']} ≤ 0.8", ours["median"] / r["median"], 0.8, "<=",
                              fit_value=_ratio(fit, r)))
            scan = _get(g, "JAX lax.scan epoch")
            if scan:
                out.append(_t(f"W2 {g['name']}", "engine ÷ JAX lax.scan epoch ≤ 1.0", ours["median"] / scan["median"], 1.0,
                              "<=", fit_value=_ratio(fit, scan)))
            if g.get("batch") == largest:
                out.append(_t(f"W2 {g['name']}", "engine within 1.25× of the limit", ours["x_limit"], 1.25, "<=",
                              fit_value=fit and fit["x_limit"]))


def _other_targets(results: dict[str, Any], out: list) -> None:
    """W3, memory and import time."""
    w3 = _rows(results, "W3")
    if w3:
        ours, fit = _get(w3["groups"][0], REF), _get(w3["groups"][0], FIT)
        if ours:
            out.append(_t("W3", "engine within 1.1× of the limit", ours["x_limit"], 1.1, "<=", fit_value=fit and fit["x_limit"]))
    mem = results.get("memory")
    if mem:
        ours = next((r for r in mem["rows"] if r["impl"] == REF and r.get("ratio_to_torch")), None)
        fit = next((r for r in mem["rows"] if r["impl"] == FIT and r.get("ratio_to_torch")), None)
        if ours:
            out.append(_t("memory", "peak RSS ≤ 0.6 × PyTorch's on W2", ours["ratio_to_torch"], 0.6, "<=",
                          fit_value=fit and fit["ratio_to_torch"]))
    imp = results.get("imports")
    if imp:
        bp = next((r for r in imp["rows"] if r["module"] == "backprop" and r["status"] == "ok"), None)
        if bp and bp["importtime_s"] is not None:
            out.append(_t("import", "import backprop ≤ 0.2 s", bp["importtime_s"], 0.2, "<="))

def fast_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 17's targets for the compiled path: ``Network.fit`` with backend='numba' against JAX's
    compiled loops, the textbook loop and the GEMM limit, on this run's medians."""
    out: list[dict[str, Any]] = []
    w1 = _rows(results, "W1")
    if w1:
        g = w1["groups"][0]
        fast, fori, tb = _get(g, FIT_NUMBA), _get(g, "JAX lax.fori_loop"), _get(g, W1_TEXTBOOK)
        if fast and fori:
            out.append(_t("W1", "Network.fit ÷ JAX lax.fori_loop ≤ 1.0 (J every iteration)", _ratio(fast, fori), 1.0, "<="))
        if fast and tb:
            out.append(_t("W1", "Network.fit ÷ textbook numpy ≤ 0.4", _ratio(fast, tb), 0.4, "<="))
    w2 = _rows(results, "W2")
    if w2:
        largest = max((g.get("batch") or 0) for g in w2["groups"])
        for g in w2["groups"]:
            fast, scan = _get(g, FIT_NUMBA), _get(g, "JAX lax.scan epoch")
            if fast and scan:
                out.append(_t(f"W2 {g['name']}", "Network.fit ÷ JAX lax.scan epoch ≤ 1.0", _ratio(fast, scan), 1.0, "<="))
            if fast and g.get("batch") == largest:
                out.append(_t(f"W2 {g['name']}", "Network.fit within 1.15× of the limit", fast["x_limit"], 1.15, "<="))
    w3 = _rows(results, "W3")
    fast = w3 and _get(w3["groups"][0], FIT_NUMBA)
    if fast:
        out.append(_t("W3", "Network.fit within 1.05× of the limit", fast["x_limit"], 1.05, "<="))
    return out


def _fast_md(results: dict[str, Any]) -> list[str]:
    tg = results.get("fast_targets") or []
    if not tg:
        return []
    L = ["## Issue 17's targets on this run (the compiled path)", "",
         f"`Network.fit` with `backend='numba'` (row \"{FIT_NUMBA}\"), the other row named in the target in the same "
         "table, same run. The scikit-learn target is measured by `benchmarks/bench_sklearn.py`.", "",
         "| workload | target | measured | met |", "|---|---|---:|---|"]
    L += [f"| {t['workload']} | {t['target']} | {fmt(t['measured'])} | {_yes(t['met'])} |" for t in tg]
    return L + [""]


def _yes(met):
    return "—" if met is None else ("yes" if met else "**no**")


def _versions(meta):
    v = meta["versions"]
    blas = "; ".join(f"{b.get('internal_api')} {b.get('version')} ({b.get('architecture', '?')}, {b.get('num_threads', '?')} threads)"
                     for b in v.get("blas") or []) or "?"
    parts = [f"Python {v['python']}", f"numpy {v['numpy']}", f"BLAS: {blas}"]
    for k in ("torch", "jax", "jaxlib", "scikit-learn", "threadpoolctl"):
        parts.append(f"{k} {v.get(k) or 'not installed'}")
    return ", ".join(parts)


def markdown(results: dict[str, Any], json_name: str) -> str:
    m = results["meta"]
    L = ["# backprop — benchmark results", ""]
    if m.get("smoke"):
        L += ["> **Smoke run**: tiny sizes, for checking that the suite works. These numbers mean nothing.", ""]
    L += [
        f"- **Command**: `{m['command']}` (from the repository root; `PYTHONPATH=src` or an installed backprop)",
        f"- **Date**: {m['date']}; total wall time {m.get('wall_s', 0):.0f} s; source: commit {m.get('git') or '?'}",
        f"- **Machine**: {m['cpu']}, {m['logical_cores']} logical cores ({m.get('affinity_cores')} usable), "
        f"{m.get('memory_gib')} GiB; {m['os']}; SIMD: {' '.join(m.get('cpu_flags', [])[:8])}",
        f"- **Threads**: {m['threads']} (OMP/OPENBLAS/MKL_NUM_THREADS, threadpoolctl, torch.set_num_threads; "
        f"OMP_WAIT_POLICY={m['thread_env'].get('OMP_WAIT_POLICY')}; JAX/XLA uses its own pool over all cores)",
        f"- **Versions**: {_versions(m)}",
        f"- **Load average** (1, 5, 15 min) at start {m.get('loadavg_start')}, at end {m.get('loadavg_end')} — the machine is "
        f"shared, so read the spread column",
        f"- **Method**: {m['warmup']} untimed round(s), then {m['repeats']} timed repetition(s) per row "
        f"(W3: {m.get('repeats_w3', m['repeats'])}), all rows of a table "
        f"interleaved round-robin; median, min … max, spread = (max − min)/median. "
        f"\"backprop ÷ this\" = the **(ref)** row's median ÷ this row's (< 1: backprop is faster). "
        f"\"× limit\" = median ÷ the median of the *limit* row, which runs only the matrix products the steps need "
        f"(np.matmul with out=, same shapes and layouts), interleaved with the other rows. "
        f"\"check\" = the training cost every row ends with (same data, start, batches and optimizer: the rows must agree). "
        f"All numbers also in `{json_name}`.",
        "",
    ]
    tg = results.get("targets") or []
    if tg:
        L += ["## Issue 4's targets on this run", "",
              "Each target is evaluated for the engine loop (the issue's reference: forward_columns, cost_columns, backward_columns and an in-place update in a plain loop) and for "
              "`Network.fit` (what most users call).", "",
              "| workload | target | engine loop | met | Network.fit | met |", "|---|---|---:|---|---:|---|"]
        for t in tg:
            note = f" ({t['note']})" if t["note"] else ""
            fit = t.get("fit")
            L.append(f"| {t['workload']} | {t['target']}{note} | {fmt(t['measured'])} | {_yes(t['met'])} "
                     f"| {'—' if fit is None else fmt(fit)} | {_yes(t.get('fit_met'))} |".replace("[W|b]", "[W\\|b]"))
        L.append("")
    L += _fast_md(results)
    for w in results.get("workloads", []):
        L += [f"## {w['title']}", ""]
        check_label = "final J" if w["id"] == "W1" else "last-pass loss"
        for g in w["groups"]:
            L += [f"### {w['id']}: {g['name']}", "", markdown_table(g["rows"], g["unit"], g["limit"], check_label), ""]
        L += _limit_md(w)
    mem = results.get("memory")
    if mem:
        L += [f"## Peak memory ({mem['workload']}; each row its own process)", "",
              "| implementation | peak RSS MiB | above data-only MiB | ÷ PyTorch's peak | status |", "|---|---:|---:|---:|---|"]
        for r in mem["rows"]:
            L.append(f"| {r['impl']} | {fmt(r.get('peak_mib'))} | {fmt(r.get('above_data_mib'))} | "
                     f"{fmt(r.get('ratio_to_torch'), 2)} | {r['status']} |")
        L.append("")
    imp = results.get("imports")
    if imp:
        L += [f"## Import time (fresh process each, median of {imp['repeats']}, interleaved)", "",
              "| module | `-X importtime` cumulative s | min … max | process wall s | wall − bare python s |",
              "|---|---:|---|---:|---:|"]
        for r in imp["rows"]:
            if r["status"] != "ok":
                L.append(f"| {r['module']} | — | — | — | {r['status']} |")
                continue
            L.append(f"| {r['module']} | {fmt(r.get('importtime_s'))} | {fmt(r.get('importtime_min_s'))} … "
                     f"{fmt(r.get('importtime_max_s'))} | {fmt(r['wall_s'])} | {fmt(r.get('wall_minus_python_s'))} |")
        L.append("")
    return "\n".join(L)


def _limit_md(w) -> list[str]:
    det = w.get("limit_detail")
    if not det:
        return []
    items = []
    if "per_batch_size" in det:
        items = list(det["per_batch_size"].items())
    else:
        for v in det.values():
            items += list(v["per_batch_size"].items())
    out = [f"<details><summary>{w['id']}: the GEMMs of one step, each timed alone (GFLOP/s); the × limit column "
           f"uses the interleaved limit row instead</summary>", ""]
    for m, step in items:
        out += [f"Batch m = {m}, {step['dtype']}: {fmt(step['seconds'] * 1e6)} µs per step.", "",
                "| GEMM | shapes | µs | GFLOP/s |", "|---|---|---:|---:|"]
        for g in step["gemms"]:
            out.append(f"| {g['gemm']} | {g['a'][0]}×{g['a'][1]} · {g['b'][0]}×{g['b'][1]} | {fmt(g['seconds'] * 1e6)} | {fmt(g['gflops'])} |")
        out.append("")
    out += ["</details>", ""]
    return out


def summary(results: dict[str, Any]) -> str:
    lines = ["targets (engine loop; Network.fit):"]
    for t in results.get("targets") or []:
        met = "?" if t["met"] is None else ("ok  " if t["met"] else "MISS")
        fit = "" if t.get("fit") is None else f"; fit {fmt(t['fit'])} {'ok' if t.get('fit_met') else 'MISS'}"
        lines.append(f"  [{met}] {t['workload']}: {t['target']}: {fmt(t['measured'])}{fit}")
    for t in results.get("fast_targets") or []:
        met = "?" if t["met"] is None else ("ok  " if t["met"] else "MISS")
        lines.append(f"  [{met}] {t['workload']} (numba): {t['target']}: {fmt(t['measured'])}")
    return "\n".join(lines)


if __name__ == "__main__":  # re-render a report from its JSON: python benchmarks/report.py benchmarks/RESULTS.json
    import json
    import os
    import sys

    path = sys.argv[1]
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    data["targets"] = targets(data)  # with this file's target definitions
    data["fast_targets"] = fast_targets(data)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    md = os.path.splitext(path)[0] + ".md"
    with open(md, "w", encoding="utf-8") as f:
        f.write(markdown(data, os.path.basename(path)))
    print(f"wrote {md}")
