#!/usr/bin/env python3
"""moe-bench's PyTorch peer: the Hugging Face MoE block on the CPU.

Times the expert loop of transformers' Qwen3MoeSparseMoeBlock (router
Linear, softmax, top-k, optional renormalization, then one gated MLP per
expert hit, gathered with torch.where and combined with index_add_) on
random weights of the layer's shape, for each token count. DeepSeek-style
routing (sigmoid scores, correction bias, group-limited top-k, scaling) and
a shared expert follow the layer spec, so every moe-bench shape has a peer.
It measures time only; moe-bench checks its own results against the
reference.

moe-bench runs it as

    python3 peer_torch.py --spec SPEC --tokens 1,32 --threads N --repeat R \
        [--evict-bytes B]

and reads one JSON object from stdout: {"torch": VERSION, "threads": N,
"dtype": "bf16", "results": [{"tokens": T, "ms": BEST}, ...]}, or
{"skipped": "torch not importable"} when torch cannot be imported.
"""

import argparse
import json
import sys
import time


def parse_spec(text):
    """key=value,... -> dict of strings (moe-bench passes the canonical
    spec, every key spelled out)."""
    spec = {}
    for item in text.split(","):
        if item:
            key, _, value = item.partition("=")
            spec[key] = value
    return spec


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", required=True)
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--evict-bytes", type=int, default=0,
                        help="sum a buffer of this size before each timed "
                             "run, so the caches hold nothing of the layer")
    args = parser.parse_args()

    try:
        import torch
        import torch.nn.functional as F
        from torch import nn
    except Exception as error:  # ImportError, or a broken install
        print(json.dumps({"skipped": "torch not importable",
                          "detail": str(error)}))
        return 0

    spec = parse_spec(args.spec)
    experts = int(spec["experts"])
    top_k = int(spec["k"])
    hidden = int(spec["hidden"])
    inter = int(spec["inter"])
    dtype = {"f32": torch.float32, "f16": torch.float16,
             "bf16": torch.bfloat16}[spec.get("dtype", "bf16")]
    sigmoid = spec.get("scoring", "softmax") == "sigmoid"
    renormalize = spec.get("renormalize", "0") in ("1", "true")
    groups = int(spec.get("groups", "1"))
    group_topk = int(spec.get("group_topk", str(groups)))
    scaling = float(spec.get("scaling", "1"))
    gated = spec.get("gated", "1") in ("1", "true")
    shared_inter = int(spec.get("shared_inter", "0"))
    router_bias = spec.get("router_bias", "0") in ("1", "true")
    act = {
        "none": lambda x: x,
        "relu": F.relu,
        "silu": F.silu,
        "gelu": F.gelu,
        "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    }[spec.get("activation", "silu")]

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    def linear(n_in, n_out):
        # Uniform weights with the moe-run scale (variance 1 / fan-in); the
        # values do not matter for time, only the shape and dtype.
        layer = nn.Linear(n_in, n_out, bias=False, dtype=dtype)
        with torch.no_grad():
            bound = (3.0 / n_in) ** 0.5
            layer.weight.uniform_(-bound, bound)
        return layer

    class Mlp(nn.Module):
        """Qwen3MoeMLP: down(act(gate(x)) * up(x))."""

        def __init__(self, width):
            super().__init__()
            self.gate_proj = linear(hidden, width) if gated else None
            self.up_proj = linear(hidden, width)
            self.down_proj = linear(width, hidden)

        def forward(self, x):
            h = self.up_proj(x)
            h = act(self.gate_proj(x)) * h if gated else act(h)
            return self.down_proj(h)

    class SparseMoeBlock(nn.Module):
        """Qwen3MoeSparseMoeBlock.forward, plus DeepSeek-V3's routing."""

        def __init__(self):
            super().__init__()
            self.gate = linear(hidden, experts)
            self.experts = nn.ModuleList(Mlp(inter) for _ in range(experts))
            self.bias = None
            if router_bias:
                self.bias = torch.rand(experts) * 0.1 - 0.05
            self.shared = Mlp(shared_inter) if shared_inter > 0 else None

        def route(self, logits):
            logits = logits.float()
            scores = logits.sigmoid() if sigmoid else F.softmax(logits, dim=1)
            choice = scores + self.bias if self.bias is not None else scores
            if groups > 1:
                tokens = choice.shape[0]
                grouped = choice.view(tokens, groups, experts // groups)
                if self.bias is not None and experts // groups >= 2:
                    group_score = grouped.topk(2, dim=-1)[0].sum(dim=-1)
                else:
                    group_score = grouped.max(dim=-1).values
                keep = group_score.topk(group_topk, dim=-1, sorted=False)[1]
                mask = torch.zeros_like(group_score).scatter_(1, keep, 1.0)
                mask = mask.unsqueeze(-1).expand_as(grouped).reshape(tokens, -1)
                choice = choice.masked_fill(mask == 0, float("-inf"))
            selected = torch.topk(choice, top_k, dim=-1)[1]
            weights = scores.gather(1, selected)
            if renormalize:
                weights = weights / weights.sum(dim=-1, keepdim=True)
            return weights * scaling, selected

        def forward(self, hidden_states):
            routing_weights, selected_experts = self.route(
                self.gate(hidden_states))
            routing_weights = routing_weights.to(hidden_states.dtype)
            final = torch.zeros_like(hidden_states)
            expert_mask = F.one_hot(selected_experts,
                                    num_classes=experts).permute(2, 1, 0)
            expert_hit = torch.greater(
                expert_mask.sum(dim=(-1, -2)), 0).nonzero()
            for expert_idx in expert_hit:
                expert = self.experts[expert_idx]
                idx, top_x = torch.where(expert_mask[expert_idx].squeeze(0))
                current = hidden_states[None, top_x].reshape(-1, hidden)
                current = expert(current) * routing_weights[top_x, idx, None]
                final.index_add_(0, top_x, current.to(hidden_states.dtype))
            if self.shared is not None:
                final = final + self.shared(hidden_states)
            return final

    try:
        block = SparseMoeBlock().eval()
        evict = None
        if args.evict_bytes > 0:
            evict = torch.ones(args.evict_bytes // 4, dtype=torch.float32)
        results = []
        with torch.inference_mode():
            for tokens in [int(t) for t in args.tokens.split(",")]:
                x = torch.rand(tokens, hidden, dtype=torch.float32)
                x = (x * 2 - 1).to(dtype)
                block(x)  # warm-up
                best = None
                for _ in range(args.repeat):
                    if evict is not None:
                        evict.sum().item()
                    start = time.perf_counter()
                    block(x)
                    ms = (time.perf_counter() - start) * 1e3
                    best = ms if best is None else min(best, ms)
                results.append({"tokens": tokens, "ms": best})
    except Exception as error:  # out of memory, an unsupported dtype, ...
        print(json.dumps({"error": "%s: %s" % (type(error).__name__, error)}))
        return 1

    note = ""
    if "capacity_factor" in spec:
        note = "dropless (capacity_factor ignored)"
    print(json.dumps({"torch": torch.__version__,
                      "threads": torch.get_num_threads(),
                      "dtype": spec.get("dtype", "bf16"),
                      "note": note,
                      "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
