"""lm-eval-harness as the reference for llmake-eval, offline, on local task data.

lm-eval's built-in tasks download their data sets from the Hub, which is impossible
here, so this module writes custom lm-eval task YAMLs over local JSONL copies of
../shared/data/eval (dataset_path: json) and runs lm-eval's own pipeline:
TaskManager(include_path) -> simple_evaluate(HFLM, log_samples=True).  Prompt
construction (target_delimiter " ", WinoGrande's multiple_input partial scoring),
HFLM.loglikelihood and process_results (acc = argmax of summed log-probs, acc_norm =
divided by len(choice)), aggregation and stderr are all lm-eval's.

Also: make_model() exports a trained llmake checkpoint as a transformers-loadable
folder (config.json + model.safetensors from llmake-train, plus tokenizer.json and
tokenizer_config.json).

CLI (bench/eval uses it):  python eval_ref.py compare MODEL_DIR LIMIT OUT.json [TASKS]
(LIMIT 0 = every item; LMEVAL_BATCH=N sets lm-eval's batch size)
"""
import bz2
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.environ.get("LLMAKE_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("LLMAKE_BIN") or os.path.join(ROOT, "bin")
SHARED = os.environ.get("LLMAKE_SHARED") or os.path.join(ROOT, "..", "shared", "data")
EVAL_DATA = os.path.join(SHARED, "eval")

# llmake task name -> (file, kind)
TASKS = {
    "arc_easy": ("arc_easy.jsonl", "mc"),
    "openbookqa": ("openbook_qa.jsonl", "mc"),
    "commonsense_qa": ("commonsense_qa.jsonl", "mc"),
    "copa": ("copa.jsonl", "mc"),
    "winogrande": ("winogrande.jsonl", "wg"),
    "lambada_openai": ("lambada_openai.jsonl", "lambada"),
    "hellaswag": ("hellaswag_val.txt.bz2", "hellaswag_txt"),
}


def offline_env():
    for k, v in {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                 "TOKENIZERS_PARALLELISM": "false", "HF_HUB_DISABLE_TELEMETRY": "1"}.items():
        os.environ[k] = v


def make_model(out, steps=30, hidden=64, layers=2, max_pos=512, seed=1337):
    """Trains a small llmake model on tinyshakespeare (GPT-2 BPE) and makes the folder
    loadable by transformers (AutoTokenizer + LlamaForCausalLM)."""
    os.makedirs(out, exist_ok=True)
    docs = os.path.join(out, "docs.jsonl")
    text = open(os.path.join(SHARED, "tinyshakespeare.txt"), encoding="utf-8").read()
    paras = [p for p in text.split("\n\n") if p.strip()]
    with open(docs, "w") as f:
        for i, p in enumerate(paras):
            f.write(json.dumps({"id": str(i), "text": p + "\n"}) + "\n")
    data = os.path.join(out, "data")
    run = [os.path.join(BIN, "llmake-tokenize"), "encode", "-t", os.path.join(SHARED, "gpt2-tokenizer.json"),
           "--set", "val_fraction=0", docs, "-o", data, "-q", "-j", "2"]
    subprocess.run(run, check=True)
    model = os.path.join(out, "model")
    run = [os.path.join(BIN, "llmake-train"), os.path.join(data, "train_000000.bin"), "-o", model,
           "--steps", str(steps), "-b", "4", "-t", "64", "-j", "2", "-q",
           "--set", f"model.hidden_size={hidden}", "--set", f"model.intermediate_size={hidden * 3}",
           "--set", f"model.num_hidden_layers={layers}", "--set", "model.num_attention_heads=4",
           "--set", "model.num_key_value_heads=2", "--set", f"model.max_position_embeddings={max_pos}",
           "--set", "peak_flops=1e11", "--set", "lr=4e-3", "--set", "warmup_steps=3", "--set", f"seed={seed}"]
    subprocess.run(run, check=True)
    export_tokenizer(model)
    return model


def export_tokenizer(model):
    shutil.copy(os.path.join(SHARED, "gpt2-tokenizer.json"), os.path.join(model, "tokenizer.json"))
    with open(os.path.join(model, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<|endoftext|>",
                   "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>",
                   "model_max_length": 1024, "clean_up_tokenization_spaces": False}, f)


def local_items(task, limit):
    """The first `limit` items of a task as JSONL lines for lm-eval."""
    fname, kind = TASKS[task]
    path = os.path.join(EVAL_DATA, fname)
    rows = []
    if kind == "hellaswag_txt":
        lines = bz2.open(path, "rt", encoding="utf-8").read().split("\n")
        for i in range(0, len(lines) - 5, 6):
            rows.append({"query": lines[i], "gold": int(lines[i + 1]), "choices": lines[i + 2:i + 6]})
            if limit and len(rows) >= limit:
                break
    else:
        for line in open(path, encoding="utf-8"):
            if line.strip():
                rows.append(json.loads(line))
                if limit and len(rows) >= limit:
                    break
    return rows


def task_yaml(task, data_file):
    kind = TASKS[task][1]
    y = [f"task: llmk_{task}", "dataset_path: json",
         "dataset_kwargs:", "  data_files:", f"    test: {json.dumps(data_file)}", "test_split: test"]
    if kind in ("mc", "hellaswag_txt"):
        y += ["output_type: multiple_choice", "doc_to_text: query", "doc_to_choice: choices",
              "doc_to_target: gold", "metric_list:",
              "  - metric: acc", "    aggregation: mean", "    higher_is_better: true",
              "  - metric: acc_norm", "    aggregation: mean", "    higher_is_better: true"]
    elif kind == "wg":
        # partial scoring: doc_to_text names an int feature (the gold index), so lm-eval
        # scores (context_option_i, " " + continuation) for each option
        y += ["output_type: multiple_choice", "doc_to_text: gold", "doc_to_choice: context_options",
              "doc_to_target: continuation", "metric_list:",
              "  - metric: acc", "    aggregation: mean", "    higher_is_better: true"]
    else:
        y += ["output_type: loglikelihood", "doc_to_text: context",
              "doc_to_target: \"{{' ' + continuation}}\"", "metric_list:",
              "  - metric: perplexity", "    aggregation: perplexity", "    higher_is_better: false",
              "  - metric: acc", "    aggregation: mean", "    higher_is_better: true"]
    return "\n".join(y) + "\n"


def run_lmeval(model, tasks, limit, workdir, threads=2, batch_size=1):
    """lm-eval on the first `limit` items of each task.  Returns ({task: {metric: (value,
    stderr)}}, {task: [per-doc dict]}, seconds per task)."""
    offline_env()
    import torch
    torch.set_num_threads(threads)
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    ydir = os.path.join(workdir, "lmeval_tasks")
    os.makedirs(ydir, exist_ok=True)
    for t in tasks:
        df = os.path.join(ydir, f"{t}.jsonl")
        with open(df, "w") as f:
            for r in local_items(t, limit):
                f.write(json.dumps(r) + "\n")
        with open(os.path.join(ydir, f"{t}.yaml"), "w") as f:
            f.write(task_yaml(t, df))
    lm = HFLM(pretrained=model, device="cpu", batch_size=batch_size, dtype="float32")
    tm = TaskManager(include_path=ydir, include_defaults=False)
    agg, per, secs = {}, {}, {}
    for t in tasks:
        t0 = time.time()
        res = simple_evaluate(model=lm, tasks=[f"llmk_{t}"], task_manager=tm, num_fewshot=0,
                              log_samples=True, bootstrap_iters=100, random_seed=0,
                              numpy_random_seed=0, torch_random_seed=0, fewshot_random_seed=0)
        secs[t] = time.time() - t0
        r = res["results"][f"llmk_{t}"]
        agg[t] = {k.split(",")[0]: (v, r.get(k.replace(",", "_stderr,", 1)))
                  for k, v in r.items() if "," in k and "_stderr" not in k}
        per[t] = sorted(res["samples"][f"llmk_{t}"], key=lambda s: s["doc_id"])
    return agg, per, secs


def run_llmake(model, tasks, limit, workdir, threads=2):
    out = os.path.join(workdir, "llmake.json")
    items = os.path.join(workdir, "llmake.items.jsonl")
    cmd = [os.path.join(BIN, "llmake-eval"), "-m", model, "--tasks", ",".join(tasks), "-o", out,
           "--per-item", items, "-j", str(threads), "-q"]
    if limit:
        cmd += ["--limit", str(limit)]
    t0 = time.time()
    subprocess.run(cmd, check=True)
    wall = time.time() - t0
    res = json.load(open(out))
    per = {}
    for line in open(items):
        d = json.loads(line)
        per.setdefault(d["task"], []).append(d)
    return res, per, wall


def compare(model, tasks, limit, workdir, threads=2, batch_size=1):
    """Both harnesses on the same items; per-task agreement figures."""
    res, ours, _ = run_llmake(model, tasks, limit, workdir, threads)
    agg, theirs, secs = run_lmeval(model, tasks, limit, workdir, threads, batch_size)
    report = {}
    for t in tasks:
        a, b = ours[t], theirs[t]
        assert len(a) == len(b), (t, len(a), len(b))
        kind = TASKS[t][1]
        same = same_norm = 0
        max_ll = 0.0
        for x, y in zip(a, b):
            lls = [r[0] for r in y["filtered_resps"]] if kind != "lambada" else [y["filtered_resps"][0][0]]
            if kind == "lambada":
                same += int(bool(x["acc"]) == bool(y["filtered_resps"][0][1]))
                same_norm += 1
            else:
                import numpy as np
                same += int(x["pred"] == int(np.argmax(lls)))
                if "acc_norm" in y:
                    same_norm += int(x["acc_norm"] == y["acc_norm"])
                else:
                    same_norm += 1
            max_ll = max(max_ll, max(abs(p - q) for p, q in zip(x["ll"], lls)))
        rep = {"n": len(a), "pred_identical": same / len(a), "pred_norm_identical": same_norm / len(a),
               "max_abs_ll_diff": max_ll, "lmeval_seconds": secs[t],
               "llmake_seconds": res["tasks"][t]["seconds"]}
        for m, (v, se) in agg[t].items():
            ov = res["results"][t][m]["value"]
            rep[m] = {"llmake": ov, "lm_eval": v, "diff": ov - v,
                      "llmake_stderr": res["results"][t][m]["stderr"], "lm_eval_stderr": se}
        report[t] = rep
    return report


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "compare":
        model, limit, out = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        tasks = sys.argv[5].split(",") if len(sys.argv) > 5 else list(TASKS)
        wd = out + ".work"
        os.makedirs(wd, exist_ok=True)
        rep = compare(model, tasks, limit, wd, batch_size=int(os.environ.get("LMEVAL_BATCH", "1")))
        json.dump(rep, open(out, "w"), indent=1)
        print(json.dumps(rep, indent=1))
    elif len(sys.argv) == 3 and sys.argv[1] == "make-model":
        print(make_model(sys.argv[2]))
    else:
        sys.exit("usage: eval_ref.py compare MODEL LIMIT OUT.json [TASKS] | make-model DIR")
