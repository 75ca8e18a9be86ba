"""PyTorch reference of the tiny MMaDA model, written from docs/mmada.md, for parity with the TypeScript code.

What it mirrors (independently, not by calling the TS code):
  * model/transformer.ts: LLaDA-style bidirectional transformer (no causal mask), token embedding,
    RMSNorm, rotary positions (rotate-half), multi-head attention, SwiGLU MLP, final RMSNorm, output
    head over the unified text + image vocabulary. Parameter names are the TS checkpoint keys.
  * model/masking.ts + model/loss.ts: the mixed-task loss of docs/mmada.md §2 recomputed from the masks
    alone (t2i: mean CE over masked image positions; lm: sum(CE / p) / (B_slice * L); mmu and chat:
    sum(CE / (p * answer_len)) / B_slice with answer_len counting the EOS padding, where B_slice is
    the row count of the row's slice: chat rows share the lm slice (chat_slice "lm", the reference)
    or have their own ("own")), then total = c_t2i L_t2i + c_lm L_lm + c_mmu L_mmu + c_chat L_chat.
  * model/sample-text.ts: one step of the semi-autoregressive text sampler (LLaDA low-confidence
    remasking): x0 = argmax(logits + temperature * gumbel), confidence = noise-free softmax of x0,
    only masked positions of the current block are candidates, the k most confident are committed.

`MMaDARef(config, params)` computes with the given tensors themselves (so an optimizer over
`params.values()` trains it) in their dtype; bench/parity.ts passes float64 copies of the float32
TS weights so the reference is exact to float32 rounding.

CLI: python mmada_ref.py <dir>   reads <dir>/parity.json + params.bin (written by bench/parity.ts),
writes <dir>/reference.json + reference.bin (float64 arrays, offsets in the JSON).
"""

import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

TASKS = ("t2i", "lm", "mmu", "chat")
ROLE_ANSWER = 1


def rms_norm(x: torch.Tensor, gain: torch.Tensor, eps: float) -> torch.Tensor:
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * gain


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def rope_tables(length: int, head_dim: int, base: float, dtype: torch.dtype):
    """cos, sin [L, 1, hd]: angle(pos, j) = pos * base^(-2j/hd), repeated over both halves."""
    inv_freq = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)  # [hd/2]
    angles = torch.arange(length, dtype=torch.float64)[:, None] * inv_freq[None, :]  # [L, hd/2]
    emb = torch.cat((angles, angles), dim=-1)  # [L, hd]
    return emb.cos().to(dtype)[:, None, :], emb.sin().to(dtype)[:, None, :]


class MMaDARef(torch.nn.Module):
    def __init__(self, config: dict, params: dict):
        super().__init__()
        self.c = config
        self.p = params  # used as is: no copies, so gradients land on the caller's tensors

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens [B, L] long -> logits [B, L, V]."""
        c, p = self.c, self.p
        B, L = tokens.shape
        H = c["nHeads"]
        hd = c["dModel"] // H
        eps = c["normEps"]
        cos, sin = rope_tables(L, hd, c["ropeBase"], p["embed"].dtype)
        x = p["embed"][tokens]  # [B, L, D]
        for i in range(c["nLayers"]):
            pre = f"layers.{i}"
            h = rms_norm(x, p[f"{pre}.attn_norm"], eps)
            q = (h @ p[f"{pre}.attn.wq"]).view(B, L, H, hd)
            k = (h @ p[f"{pre}.attn.wk"]).view(B, L, H, hd)
            v = (h @ p[f"{pre}.attn.wv"]).view(B, L, H, hd)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # [B, H, L, hd]
            scores = q @ k.transpose(-1, -2) / math.sqrt(hd)  # [B, H, L, L], no causal mask
            o = torch.softmax(scores, dim=-1) @ v  # [B, H, L, hd]
            x = x + o.transpose(1, 2).reshape(B, L, H * hd) @ p[f"{pre}.attn.wo"]
            h = rms_norm(x, p[f"{pre}.mlp_norm"], eps)
            x = x + (F.silu(h @ p[f"{pre}.mlp.w_gate"]) * (h @ p[f"{pre}.mlp.w_up"])) @ p[f"{pre}.mlp.w_down"]
        return rms_norm(x, p["final_norm"], eps) @ p["lm_head"]


def mixed_loss(logits, labels, masked, mask_prob, tasks, roles, coeffs, chat_slice="lm"):
    """docs/mmada.md §2 from the masks: returns (total, {task: part})."""
    B, L, V = logits.shape
    ce = F.cross_entropy(logits.reshape(B * L, V), labels.reshape(-1), reduction="none").view(B, L)
    m = masked.to(logits.dtype)
    slice_rows = {t: sum(1 for x in tasks if x == t) for t in TASKS}
    if chat_slice == "lm":
        slice_rows["lm"] = slice_rows["chat"] = slice_rows["lm"] + slice_rows["chat"]
    parts = {}
    for task in TASKS:
        rows = [b for b in range(B) if tasks[b] == task]
        if not rows:
            parts[task] = logits.new_zeros(())
        elif task == "t2i":
            parts[task] = (ce[rows] * m[rows]).sum() / m[rows].sum()
        elif task == "lm":
            parts[task] = (ce[rows] * m[rows] / mask_prob[rows, None]).sum() / (slice_rows[task] * L)
        else:
            answer_len = (roles[rows] == ROLE_ANSWER).sum(-1).to(logits.dtype)  # includes the EOS padding
            parts[task] = (ce[rows] * m[rows] / (mask_prob[rows, None] * answer_len[:, None])).sum() / slice_rows[task]
    total = sum(coeffs[t] * parts[t] for t in TASKS)
    return total, parts


def num_transfer_tokens(masked_count: int, steps: int) -> list:
    """LLaDA get_num_transfer_tokens: floor(n / steps) each, the remainder to the first steps."""
    base, rem = divmod(masked_count, steps)
    return [base + (1 if s < rem else 0) for s in range(steps)]


def text_sampler_step(logits, tokens, spec):
    """One low-confidence-remasking step on row-major positions of the current block.

    spec: maskId, temperature, steps (of this block), rows: [{row, start, end}], noise: per candidate
    position (row order, ascending pos) a list over the vocabulary (the mask column ignored).
    Returns per row the candidates [{pos, id, confidence}] and the committed positions.
    """
    mask_id, temperature = spec["maskId"], spec["temperature"]
    out, n = [], 0
    for r in spec["rows"]:
        b, lo, hi = r["row"], r["start"], r["end"]
        positions = [i for i in range(lo, hi) if int(tokens[b, i]) == mask_id]
        k = num_transfer_tokens(len(positions), spec["steps"])[0]
        cands = []
        for pos in positions:
            row = logits[b, pos].clone()
            row[mask_id] = -math.inf  # committing [MASK] would leave a hole
            noise = torch.tensor(spec["noise"][n], dtype=row.dtype)
            noise[mask_id] = 0
            n += 1
            x0 = int(torch.argmax(row + temperature * noise))
            conf = float(torch.softmax(row, dim=-1)[x0])
            cands.append({"pos": pos, "id": x0, "confidence": conf})
        ranked = sorted(cands, key=lambda c: (-c["confidence"], c["pos"]))
        out.append({"row": b, "candidates": cands, "committed": sorted(c["pos"] for c in ranked[:k])})
    return out


def read_f32(path: str, offset: int, count: int) -> torch.Tensor:
    with open(path, "rb") as f:
        f.seek(offset * 4)
        data = bytearray(f.read(count * 4))
    if len(data) != count * 4:
        raise SystemExit(f"error: {path} is too short: wanted {count} floats at offset {offset}")
    return torch.frombuffer(data, dtype=torch.float32).clone()


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: mmada_ref.py <dir with parity.json and params.bin>")
    d = sys.argv[1]
    with open(os.path.join(d, "parity.json")) as f:
        spec = json.load(f)
    dtype = torch.float64
    params, offset = {}, 0
    for name, shape in spec["params"]:
        count = math.prod(shape)
        params[name] = read_f32(os.path.join(d, "params.bin"), offset, count).view(*shape).to(dtype).requires_grad_(True)
        offset += count
    batch = spec["batch"]
    B, L = batch["batch"], batch["length"]
    as_long = lambda key: torch.tensor(batch[key], dtype=torch.long).view(B, L)  # noqa: E731
    tokens, labels, masked, roles = as_long("inputIds"), as_long("labels"), as_long("masked"), as_long("roles")
    mask_prob = torch.tensor(batch["maskProb"], dtype=dtype)
    coeffs = dict(spec["coefficients"])

    model = MMaDARef(spec["config"], params)
    logits = model(tokens)
    total, parts = mixed_loss(logits, labels, masked, mask_prob, batch["tasks"], roles, coeffs, batch.get("chatSlice", "lm"))
    total.backward()

    sampler = spec["sampler"]
    s_tokens = torch.tensor(sampler["tokens"], dtype=torch.long).view(sampler["batch"], -1)
    with torch.no_grad():
        s_logits = model(s_tokens)
    step = text_sampler_step(s_logits, s_tokens, sampler)

    arrays = [("logits", logits.detach())] + [(f"grad/{n}", p.grad) for n, p in params.items()]
    index, chunks, at = {}, [], 0
    for name, t in arrays:
        flat = t.detach().to(torch.float64).reshape(-1).contiguous()
        index[name] = [at, flat.numel()]
        chunks.append(struct.pack(f"<{flat.numel()}d", *flat.tolist()))
        at += flat.numel()
    with open(os.path.join(d, "reference.bin"), "wb") as f:
        for c in chunks:
            f.write(c)
    result = {
        "torch": torch.__version__,
        "total": total.item(),
        "parts": {t: v.item() for t, v in parts.items()},
        "arrays": index,
        "sampler": step,
    }
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
