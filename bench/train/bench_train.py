#!/usr/bin/env python3
"""bench/train/bench_train.py: one training step, llmake-train vs PyTorch eager on the CPU.

Same model (Llama-style: 6 layers, d=384, 6 heads, SwiGLU 1024, vocab 8192, tied head),
same batch (B=8 x T=256 real tinyshakespeare GPT-2 tokens folded into 8192 ids), same
AdamW + grad clipping, same thread count.  PyTorch runs the plain eager reference model in
tests/interop/train_ref.py (HF Llama math).  Every PyTorch peer (--torch-python, default the
interpreter running this script; bench/train/setup_torch_pypi.sh makes PyPI's torch a second
one) gets the best of its variants: libgomp's default spinning or OMP_WAIT_POLICY=passive, and
on torch >= 2 HF's eager attention math or F.scaled_dot_product_attention; on torch >= 2.4
AdamW's fused CPU kernel (fused=True).  Peers and llmake
run alternately, ROUNDS times, and the best steady-state step of each is compared (the CI-like
VM is shared; the best of several is the least disturbed).  Peak memory: ru_maxrss of each
process (PyTorch's includes the interpreter and libtorch, reported separately as its baseline).

usage: .venv-torch/bin/python bench/train/bench_train.py [--threads N] [--steps S] [--rounds R]
           [--torch-python PY]...
"""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))

CFG = dict(vocab_size=8192, hidden_size=384, intermediate_size=1024, num_hidden_layers=6,
           num_attention_heads=6, num_key_value_heads=6, head_dim=64, max_position_embeddings=256,
           rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=True)
B, T = 8, 256
TARGET = 1.5  # issue 6: llmake-train tokens/s over PyTorch eager, same threads


def torch_worker(threads, steps, shard, attn):
    import numpy as np
    import torch
    import train_ref as R
    torch.set_num_threads(threads)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    toks = np.fromfile(shard, dtype=np.uint16, offset=1024).astype(np.int64)
    params = R.init_params(CFG, seed=1, norm_jitter=0.0)
    # the peer's fastest AdamW: the fused CPU kernel where torch has one (2.4 and later)
    ver = tuple(int(v) for v in re.findall(r"\d+", torch.__version__)[:2])
    opt = R.adamw_groups(params, 6e-4, 0.1, (0.9, 0.95), 1e-8,
                         **({"fused": True} if ver >= (2, 4) else {}))
    times, cpus, losses = [], [], []
    for s in range(steps):
        i = s * B * T
        x = torch.from_numpy(toks[i:i + B * T]).view(B, T)
        y = torch.from_numpy(toks[i + 1:i + B * T + 1]).view(B, T)
        t0 = time.perf_counter()
        c0 = time.process_time()
        opt.zero_grad(set_to_none=True)
        _, loss = R.forward(params, CFG, x, y, attn=attn)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
        opt.step()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        losses.append(loss.item())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(dict(times=times, cpus=cpus, losses=losses, peak_rss=peak, base_rss=base,
                          version=torch.__version__)))


def torch_info(python):
    """(version, BLAS, has scaled_dot_product_attention) of the torch under python."""
    code = ("import json, torch, torch.nn.functional as F\n"
            "cfg = torch.__config__.show()\n"
            "blas = 'MKL' if 'Math Kernel Library' in cfg else 'OpenBLAS' if 'openblas' in cfg.lower() "
            "else 'system BLAS' if 'BLAS_INFO=generic' in cfg else '?'\n"
            "print(json.dumps([torch.__version__, blas, hasattr(F, 'scaled_dot_product_attention')]))")
    try:
        p = subprocess.run([python, "-c", code], capture_output=True, text=True)
    except OSError as e:
        sys.exit(f"--torch-python {python}: cannot run it ({e.strerror})")
    if p.returncode != 0 or not p.stdout.strip():
        last = (p.stderr.strip().splitlines() or ["no output"])[-1]
        sys.exit(f"--torch-python {python}: cannot import torch ({last}); "
                 "hint: bench/train/setup_torch_pypi.sh makes .venv-torch-pypi")
    return json.loads(p.stdout.strip().splitlines()[-1])


def run_torch(python, threads, steps, shard, policy, attn):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    env.pop("OMP_WAIT_POLICY", None)
    if policy:
        env["OMP_WAIT_POLICY"] = policy
    p = subprocess.run([python, __file__, "--torch-worker", str(threads), str(steps), shard, attn],
                       capture_output=True, text=True, env=env, check=True)
    r = json.loads(p.stdout.strip().splitlines()[-1])
    r["variant"] = f"{attn} attention, OMP_WAIT_POLICY={policy or 'default'}"
    return r


def run_llmake(threads, steps, shard, out, peak):
    cmd = [os.path.join(ROOT, "bin", "llmake-train"), shard, "-o", out, "--steps", str(steps),
           "-b", str(B), "-t", str(T), "-j", str(threads), "-q", "--set", f"peak_flops={peak}",
           "--set", "model.eos_token_id=-1", "--set", "init_std=0.02"]
    for k, v in CFG.items():
        if k == "head_dim":
            continue
        cmd += ["--set", f"model.{k}={json.dumps(v)}"]
    subprocess.run(["rm", "-rf", out], check=True)
    subprocess.run(cmd, check=True)
    lines = [json.loads(l) for l in open(os.path.join(out, "metrics.jsonl")) if '"loss"' in l]
    man = json.load(open(os.path.join(out, "manifest.json")))
    return dict(times=[l["step_seconds"] for l in lines], cpus=[l["cpu_seconds"] for l in lines], mfu=[l["mfu"] for l in lines],
                share=[l["matmul_share"] for l in lines], peak_rss=man["peak_rss_bytes"],
                losses=[l["loss"] for l in lines])


def sgemm_peak(threads):
    """Measured fp32 sgemm throughput (numpy over the same OpenBLAS), FLOP/s."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    code = ("import numpy as np, time\n"
            "a=np.random.rand(1024,1024).astype(np.float32); b=np.random.rand(1024,1024).astype(np.float32)\n"
            "a@b; best=1e9\n"
            "for _ in range(5):\n t=time.perf_counter(); a@b; best=min(best,time.perf_counter()-t)\n"
            "print(2*1024**3/best)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(p.stdout.strip())


def fma_peak(threads, tmp):
    """The fp32 FMA peak (bench/train/fma_peak.c, registers only), FLOP/s; None without gcc."""
    exe = os.path.join(tmp, "fma_peak")
    src = os.path.join(ROOT, "bench", "train", "fma_peak.c")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    try:
        subprocess.run(["gcc", "-O2", "-mavx2", "-mfma", "-fopenmp", src, "-o", exe], check=True)
        out = subprocess.run([exe], capture_output=True, text=True, env=env, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"fma_peak.c: cannot build or run it here ({e}; needs gcc and an AVX2/FMA CPU): "
              "no FMA-peak figures")
        return None
    return float(re.search(r": ([0-9.]+) GFLOP/s", out).group(1)) * 1e9


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--torch-worker":
        torch_worker(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--torch-python", action="append", default=[],
                    help="a Python whose torch is a peer (repeatable; default: this interpreter)")
    a = ap.parse_args()
    import numpy as np
    import train_ref as R
    peers = []
    for py in a.torch_python or [sys.executable]:
        version, blas, sdpa = torch_info(py)
        attns = ["math", "sdpa"] if sdpa else ["math"]
        peers.append(dict(python=py, name=f"PyTorch {version} ({blas})", attns=attns,
                          wall=[], cpu=[], best=None))
    tmp = tempfile.mkdtemp(prefix="llmake-bench-train.")
    shard = os.path.join(tmp, "train.bin")
    toks = R.shakespeare_tokens() % CFG["vocab_size"]
    R.write_shard(shard, toks)
    peak = max(sgemm_peak(a.threads) for _ in range(3))
    fma = fma_peak(a.threads, tmp)
    lt, lc, lres = [], [], None
    for r in range(a.rounds):
        for pe in peers:
            runs = [run_torch(pe["python"], a.threads, a.steps, shard, pol, attn)
                    for pol in (None, "passive") for attn in pe["attns"]]
            # every variant computes the same step from the same init: a variant whose loss
            # differs measures something else
            l0 = [x["losses"][0] for x in runs]
            if max(l0) - min(l0) > 1e-4:
                sys.exit(f"{pe['name']}: variants disagree on the first loss: "
                         + ", ".join(f"{x['variant']} {x['losses'][0]:.6f}" for x in runs))
            res = min(runs, key=lambda x: min(x["times"][1:]))
            pe["wall"].append(min(res["times"][1:]))
            pe["cpu"].append(min(res["cpus"][1:]))
            if pe["best"] is None or pe["wall"][-1] <= min(pe["wall"]):
                pe["best"] = res
        lres = run_llmake(a.threads, a.steps, shard, os.path.join(tmp, "out"), peak)
        lt.append(min(lres["times"][1:]))
        lc.append(min(lres["cpus"][1:]))
        line = "; ".join(f"{pe['name']} {pe['wall'][-1]:.3f} s ({pe['cpu'][-1]:.2f} CPU-s)"
                         for pe in peers)
        print(f"round {r}: {line}; llmake {lt[-1]:.3f} s ({lc[-1]:.2f} CPU-s); "
              f"load {os.getloadavg()[0]:.1f}", flush=True)
    tok = B * T
    l_best = min(lt)
    n_params = sum(int(np.prod(s)) for _, s in R.param_shapes(CFG))
    # FLOPs per step from llmake's own count (6N + attention), for MFU of every side
    fpt = 6 * n_params + 6 * CFG["num_hidden_layers"] * CFG["num_attention_heads"] * 64 * T
    flops = fpt * tok
    print()
    print(f"config: L=6 C=384 H=6 F=1024 V=8192 tied, B={B} T={T}, {a.threads} threads, "
          f"{n_params} parameters, {flops / 1e9:.1f} GFLOP/step")
    print(f"measured sgemm peak (1024^3, {a.threads} threads): {peak / 1e9:.1f} GFLOP/s")
    if fma:
        # the ceiling for any fp32 implementation: every FLOP of the step at the FMA rate
        print(f"fp32 FMA peak (bench/train/fma_peak.c, {a.threads} threads): {fma / 1e9:.1f} GFLOP/s; "
              f"the whole step at that rate: {flops / fma:.3f} s")
    print(f"llmake-train:  {l_best:.3f} s/step = {tok / l_best:.0f} tok/s, "
          f"MFU {flops / l_best / peak * 100:.1f}%, matmul share {statistics.median(lres['share'][1:]) * 100:.0f}%, "
          f"peak RSS {lres['peak_rss'] / 2**20:.0f} MiB, first loss {lres['losses'][0]:.4f}")
    for pe in peers:
        t_best, res = min(pe["wall"]), pe["best"]
        print(f"{pe['name']} eager, best with {res['variant']}: {t_best:.3f} s/step = "
              f"{tok / t_best:.0f} tok/s, MFU {flops / t_best / peak * 100:.1f}%, peak RSS "
              f"{res['peak_rss'] / 2**20:.0f} MiB (interpreter+libtorch baseline "
              f"{res['base_rss'] / 2**20:.0f} MiB), first loss {res['losses'][0]:.4f} (its own init)")
        print(f"  speed-up llmake / {pe['name']} (wall, best step): {t_best / l_best:.2f}x "
              f"(target >= {TARGET}x); CPU seconds per step (best): {min(pe['cpu']):.3f} vs "
              f"{min(lc):.3f}: {min(pe['cpu']) / min(lc):.2f}x less CPU")
        if fma:
            print(f"  {TARGET}x this peer = {t_best / TARGET:.3f} s/step = "
                  f"{flops / (t_best / TARGET) / fma * 100:.0f}% of the FMA peak over the whole step "
                  f"(llmake now: {flops / l_best / fma * 100:.0f}%)")
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
