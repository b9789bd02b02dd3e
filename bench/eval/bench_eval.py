"""Throughput of llmake-eval vs lm-eval-harness (HF backend, CPU) on HellaSwag, and of
llmake-generate vs transformers' generate (greedy, batch 1), same model, same threads.

    .venv-eval/bin/python bench/eval/bench_eval.py MODEL_DIR [--items N] [--threads T]
        [--gen-tokens N] [--lmeval-batch B]

MODEL_DIR: an llmake checkpoint exported for transformers (tokenizer.json +
tokenizer_config.json beside config.json / model.safetensors; tests/interop/eval_ref.py
export_tokenizer does it).  Timings exclude loading: lm-eval is timed around
HFLM.loglikelihood() on the items' requests (what simple_evaluate calls), llmake-eval
reports the scoring loop's items/s.  Prints one JSON object with the figures and ratios.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
import eval_ref as R  # noqa: E402


def bench_hellaswag(model, n, threads, batch):
    import torch
    torch.set_num_threads(threads)
    R.offline_env()
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM
    docs = R.local_items("hellaswag", n)
    reqs = [Instance(request_type="loglikelihood", doc=d, arguments=(d["query"], " " + c), idx=i)
            for d in docs for i, c in enumerate(d["choices"])]
    lm = HFLM(pretrained=model, device="cpu", batch_size=batch, dtype="float32")
    t0 = time.time()
    res = lm.loglikelihood(reqs)
    t_lm = time.time() - t0
    with tempfile.TemporaryDirectory() as td:
        out = os.path.join(td, "r.json")
        items = os.path.join(td, "i.jsonl")
        subprocess.run([os.path.join(R.BIN, "llmake-eval"), "-m", model, "--tasks", "hellaswag",
                        "--limit", str(n), "-o", out, "--per-item", items, "-j", str(threads), "-q"],
                       check=True)
        r = json.load(open(out))
        ours = [x for line in open(items) for x in json.loads(line)["ll"]]
    theirs = [x[0] for x in res]
    maxdiff = max(abs(a - b) for a, b in zip(ours, theirs))
    ips = r["tasks"]["hellaswag"]["items_per_s"]
    return {"items": n, "lmeval_batch_size": batch, "lmeval_seconds": t_lm,
            "lmeval_items_per_s": n / t_lm, "llmake_seconds": r["tasks"]["hellaswag"]["seconds"],
            "llmake_items_per_s": ips, "ratio": ips / (n / t_lm), "max_abs_ll_diff": maxdiff,
            "acc_llmake": r["results"]["hellaswag"]["acc"]["value"]}


def bench_generate(model, n_tok, threads):
    import torch
    torch.set_num_threads(threads)
    R.offline_env()
    from transformers import AutoTokenizer, LlamaForCausalLM
    tok = AutoTokenizer.from_pretrained(model)
    hf = LlamaForCausalLM.from_pretrained(model, torch_dtype=torch.float32).eval()
    prompt = "ROMEO:\nWhat light through yonder window breaks?"
    ids = tok(prompt, return_tensors="pt", add_special_tokens=False).input_ids
    with torch.no_grad():
        hf.generate(ids, max_new_tokens=4, do_sample=False, pad_token_id=tok.eos_token_id, synced_gpus=False)  # warm-up
        t0 = time.time()
        g = hf.generate(ids, max_new_tokens=n_tok, min_new_tokens=n_tok, do_sample=False,
                        pad_token_id=tok.eos_token_id, synced_gpus=False)
        t_hf = time.time() - t0
    hf_ids = g[0, ids.shape[1]:].tolist()
    with tempfile.TemporaryDirectory() as td:
        pf, out = os.path.join(td, "p.jsonl"), os.path.join(td, "o.jsonl")
        with open(pf, "w") as f:
            f.write(json.dumps({"prompt": prompt}) + "\n")
        t0 = time.time()
        subprocess.run([os.path.join(R.BIN, "llmake-generate"), "-m", model, pf, "-o", out,
                        "-n", str(n_tok), "--set", "stop_at_eos=false", "-j", str(threads), "-q"],
                       check=True)
        wall = time.time() - t0
        row = json.loads(open(out).readline())
    same = row["completion_ids"] == hf_ids
    hf_tps = len(hf_ids) / t_hf
    return {"new_tokens": n_tok, "hf_generate_seconds": t_hf, "hf_tokens_per_s": hf_tps,
            "llmake_gen_tokens_per_s": row["gen_tokens_per_s"],
            "llmake_prompt_tokens_per_s": row["prompt_tokens_per_s"], "llmake_wall_with_load": wall,
            "ratio": row["gen_tokens_per_s"] / hf_tps, "tokens_identical": same}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--items", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gen-tokens", type=int, default=128)
    ap.add_argument("--lmeval-batch", type=int, default=1)
    ap.add_argument("--parts", default="hellaswag,generate")
    a = ap.parse_args()
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    out = {"model": {k: cfg[k] for k in ("hidden_size", "num_hidden_layers", "vocab_size",
                                          "num_attention_heads", "intermediate_size")},
           "threads": a.threads}
    if "hellaswag" in a.parts:
        out["hellaswag"] = bench_hellaswag(a.model, a.items, a.threads, a.lmeval_batch)
    if "generate" in a.parts:
        out["generate"] = bench_generate(a.model, a.gen_tokens, a.threads)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
