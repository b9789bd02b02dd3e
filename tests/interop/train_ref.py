"""train_ref.py: the PyTorch reference for llmake-train's tests (not a test itself).

A plain-PyTorch Llama (HF rotate-half RoPE, GQA, SwiGLU, RMSNorm, tied/untied head,
optional QK-norm and z-loss) whose parameters carry Hugging Face names, llm.c token
shards from real text (tinyshakespeare through the real GPT-2 BPE via tiktoken and
the rank file in ../shared/data), and the reference dump the C side compares with.
"""
import json
import math
import os
import struct

import numpy as np

try:  # the shard writer (used by the e2e tests) needs only numpy and tiktoken
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    torch = F = None

ROOT = os.environ.get("LLMAKE_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
SHARED = os.environ.get("LLMAKE_SHARED", os.path.join(ROOT, "..", "shared", "data"))
BIN = os.environ.get("LLMAKE_BIN", os.path.join(ROOT, "bin"))

GPT2_PAT = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
EOT = 50256


def gpt2_encoding():
    import base64
    import tiktoken
    ranks = {}
    with open(os.path.join(SHARED, "gpt2.tiktoken"), "rb") as f:
        for line in f:
            if line.strip():
                tok, rank = line.split()
                ranks[base64.b64decode(tok)] = int(rank)
    return tiktoken.Encoding(name="gpt2-local", pat_str=GPT2_PAT, mergeable_ranks=ranks,
                             special_tokens={"<|endoftext|>": EOT})


def shakespeare_tokens(max_chars=None):
    text = open(os.path.join(SHARED, "tinyshakespeare.txt"), encoding="utf-8").read()
    if max_chars:
        text = text[:max_chars]
    enc = gpt2_encoding()
    # one document per play-like chunk (blank-line separated paragraphs grouped), EOT before each
    toks = []
    for doc in text.split("\n\n\n") if "\n\n\n" in text else [text]:
        toks.append(EOT)
        toks.extend(enc.encode_ordinary(doc))
    return np.array(toks, dtype=np.int64)


def write_shard(path, tokens, width=2):
    tokens = np.asarray(tokens)
    header = np.zeros(256, dtype=np.int32)
    if width == 2:
        header[0], header[1] = 20240520, 1
        body = tokens.astype(np.uint16)
    else:
        header[0], header[1] = 20240801, 7
        body = tokens.astype(np.uint32)
    header[2] = len(tokens)
    with open(path, "wb") as f:
        f.write(header.tobytes())
        f.write(body.tobytes())


# ---------------------------------------------------------------------------
# model

def param_shapes(cfg):
    V, C, Fd = cfg["vocab_size"], cfg["hidden_size"], cfg["intermediate_size"]
    NH, NKV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    HD = cfg.get("head_dim") or C // NH
    out = [("model.embed_tokens.weight", (V, C))]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        out += [(p + "input_layernorm.weight", (C,)),
                (p + "self_attn.q_proj.weight", (NH * HD, C)),
                (p + "self_attn.k_proj.weight", (NKV * HD, C)),
                (p + "self_attn.v_proj.weight", (NKV * HD, C)),
                (p + "self_attn.o_proj.weight", (C, NH * HD))]
        if cfg.get("qk_norm"):
            out += [(p + "self_attn.q_norm.weight", (HD,)), (p + "self_attn.k_norm.weight", (HD,))]
        out += [(p + "post_attention_layernorm.weight", (C,)),
                (p + "mlp.gate_proj.weight", (Fd, C)),
                (p + "mlp.up_proj.weight", (Fd, C)),
                (p + "mlp.down_proj.weight", (C, Fd))]
    out.append(("model.norm.weight", (C,)))
    if not cfg.get("tie_word_embeddings", False):
        out.append(("lm_head.weight", (V, C)))
    return out


def init_params(cfg, seed=0, norm_jitter=0.1):
    g = torch.Generator().manual_seed(seed)
    L = cfg["num_hidden_layers"]
    params = {}
    for name, shape in param_shapes(cfg):
        if len(shape) == 1:
            t = 1.0 + norm_jitter * torch.randn(shape, generator=g)
        else:
            std = 0.02 / math.sqrt(2 * L) if ("o_proj" in name or "down_proj" in name) else 0.02
            t = torch.randn(shape, generator=g) * std
        params[name] = t.float().requires_grad_(True)
    return params


def rmsnorm(x, w, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def rope_tables(cfg, T):
    C, NH = cfg["hidden_size"], cfg["num_attention_heads"]
    HD = cfg.get("head_dim") or C // NH
    base = cfg.get("rope_theta", 10000.0)
    inv_freq = 1.0 / (base ** (torch.arange(0, HD, 2, dtype=torch.int64).float() / HD))
    pos = torch.arange(T).float()
    freqs = pos[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def forward(params, cfg, idx, targets=None, z_loss=0.0, attn="math"):
    """attn: "math" is HF's eager attention (scores, mask, softmax, @ v: the parity tests'
    reference); "sdpa" is torch>=2's fused F.scaled_dot_product_attention (what HF Llama uses
    by default there), for the speed benchmark."""
    if attn not in ("math", "sdpa"):
        raise ValueError(f"attn must be 'math' or 'sdpa', not {attn!r}")
    B, T = idx.shape
    C, NH, NKV = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    HD = cfg.get("head_dim") or C // NH
    eps = cfg.get("rms_norm_eps", 1e-5)
    cos, sin = rope_tables(cfg, T)
    x = params["model.embed_tokens.weight"][idx]
    mask = torch.full((T, T), float("-inf")).triu(1)
    for i in range(cfg["num_hidden_layers"]):
        p = lambda n: params[f"model.layers.{i}.{n}"]
        h = rmsnorm(x, p("input_layernorm.weight"), eps)
        q = (h @ p("self_attn.q_proj.weight").T).view(B, T, NH, HD).transpose(1, 2)
        k = (h @ p("self_attn.k_proj.weight").T).view(B, T, NKV, HD).transpose(1, 2)
        v = (h @ p("self_attn.v_proj.weight").T).view(B, T, NKV, HD).transpose(1, 2)
        if cfg.get("qk_norm"):
            q = rmsnorm(q, p("self_attn.q_norm.weight"), eps)
            k = rmsnorm(k, p("self_attn.k_norm.weight"), eps)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(NH // NKV, dim=1)
        v = v.repeat_interleave(NH // NKV, dim=1)
        if attn == "sdpa":
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-1, -2)) / math.sqrt(HD) + mask
            y = att.softmax(-1) @ v
        y = y.transpose(1, 2).reshape(B, T, NH * HD)
        x = x + y @ p("self_attn.o_proj.weight").T
        h = rmsnorm(x, p("post_attention_layernorm.weight"), eps)
        m = F.silu(h @ p("mlp.gate_proj.weight").T) * (h @ p("mlp.up_proj.weight").T)
        x = x + m @ p("mlp.down_proj.weight").T
    x = rmsnorm(x, params["model.norm.weight"], eps)
    head = params["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else params["lm_head.weight"]
    logits = x @ head.T
    if targets is None:
        return logits, None
    flat = logits.view(-1, logits.size(-1))
    loss = F.cross_entropy(flat, targets.view(-1), ignore_index=-1)
    if z_loss > 0:
        keep = targets.view(-1) >= 0
        lse = torch.logsumexp(flat[keep], dim=-1)
        loss = loss + z_loss * (lse ** 2).mean()
    return logits, loss


def save_hf(params, cfg, folder):
    from safetensors.torch import save_file
    os.makedirs(folder, exist_ok=True)
    save_file({k: v.detach().contiguous() for k, v in params.items()},
              os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    hf = dict(cfg)
    hf.update(architectures=["LlamaForCausalLM"], model_type="llama", hidden_act="silu",
              attention_bias=False, mlp_bias=False, torch_dtype="float32")
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(hf, f, indent=2)


def adamw_groups(params, lr, wd, betas, eps, **kw):
    decay = [t for n, t in params.items() if t.dim() >= 2]
    nodecay = [t for n, t in params.items() if t.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": wd},
                              {"params": nodecay, "weight_decay": 0.0}],
                             lr=lr, betas=betas, eps=eps, **kw)


def write_ref_dump(path, cfg, params, x, y, opt, steps, z_loss):
    """Reference dump read by tests/unit/test_model_ref.c (layout documented there)."""
    logits, loss = forward(params, cfg, x, y, z_loss)
    loss.backward()
    grads = [params[n].grad.detach().clone() for n, _ in param_shapes(cfg)]
    for t in params.values():
        t.grad = None
    optim = adamw_groups(params, opt["lr"], opt["weight_decay"], (opt["beta1"], opt["beta2"]), opt["eps"])
    losses = []
    for _ in range(steps):
        optim.zero_grad(set_to_none=True)
        _, l = forward(params, cfg, x, y, z_loss)
        l.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), opt["grad_clip"])
        optim.step()
        losses.append(l.item())
    B, T = x.shape
    with open(path, "wb") as f:
        f.write(struct.pack("<8s6i6f", b"LLMREF01", B, T, steps, cfg["vocab_size"], 0, 0,
                            opt["lr"], opt["weight_decay"], opt["beta1"], opt["beta2"], opt["eps"],
                            opt["grad_clip"]))
        f.write(struct.pack("<f", z_loss))
        f.write(x.numpy().astype(np.int32).tobytes())
        f.write(y.numpy().astype(np.int32).tobytes())
        f.write(logits.detach().numpy().astype(np.float32).tobytes())
        f.write(struct.pack("<f", loss.item()))
        for g in grads:
            f.write(g.numpy().astype(np.float32).tobytes())
        f.write(np.array(losses, dtype=np.float32).tobytes())
    return logits.detach(), loss.item(), losses


def main(argv):
    """CLI for the e2e tests and benchmarks:
    train_ref.py shards OUTDIR [MAX_CHARS] [WIDTH]: OUTDIR/train.bin (first 90%), OUTDIR/val.bin."""
    if len(argv) >= 2 and argv[0] == "shards":
        out = argv[1]
        max_chars = int(argv[2]) if len(argv) > 2 and int(argv[2]) > 0 else None
        width = int(argv[3]) if len(argv) > 3 else 2
        toks = shakespeare_tokens(max_chars)
        n = int(len(toks) * 0.9)
        os.makedirs(out, exist_ok=True)
        write_shard(os.path.join(out, "train.bin"), toks[:n], width)
        write_shard(os.path.join(out, "val.bin"), toks[n:], width)
        print(f"{n} train tokens, {len(toks) - n} val tokens")
        return 0
    print("usage: train_ref.py shards OUTDIR [MAX_CHARS] [WIDTH]")
    return 2


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv[1:]))
