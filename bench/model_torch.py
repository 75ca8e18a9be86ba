"""PyTorch side of the model benchmark (bench/model.ts spawns it; not run by the tests).

Trains the PyTorch reference model (bench/reference/mmada_ref.py) from the same initial weights,
on the same masked batches, with the same update as the tfjs workers: forward, mixed loss
sum(weight * CE) (weights already carry the per-task normalisation and coefficient), backward,
global grad-norm clip 1.0, AdamW (decay on matrices only). Prints one JSON RunResult line:
{backend, threads, steps, msPerStep, bestMsPerStep, cpuMsPerStep, losses}.

Usage: .venv/bin/python bench/model_torch.py <torch.json> <params.bin> <steps> <warmup> [threads]
"""

import json
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference"))
import mmada_ref  # noqa: E402  (path set just above)

MAX_GRAD_NORM = 1.0
BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
WEIGHT_DECAY = 0.01


def load_params(path: str, shapes: list) -> dict:
    """Float32 weights in paramShapes order, named as in model/transformer.ts."""
    flat = np.fromfile(path, dtype="<f4")
    params, offset = {}, 0
    for name, shape in shapes:
        n = int(np.prod(shape))
        params[name] = torch.tensor(flat[offset : offset + n].reshape(shape), requires_grad=True)
        offset += n
    if offset != flat.size:
        raise SystemExit(f"error: params.bin has {flat.size} floats, the manifest {offset}")
    return params


def main() -> None:
    if len(sys.argv) not in (5, 6):
        raise SystemExit("usage: model_torch.py <torch.json> <params.bin> <steps> <warmup> [threads]")
    spec_path, params_path, steps, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if len(sys.argv) == 6:
        torch.set_num_threads(int(sys.argv[5]))
    with open(spec_path) as f:
        spec = json.load(f)
    config, B, L = spec["config"], spec["batch"], spec["length"]
    params = load_params(params_path, spec["params"])
    model = mmada_ref.MMaDARef(config, params)
    decay = [p for p in params.values() if p.dim() >= 2]
    no_decay = [p for p in params.values() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": no_decay, "weight_decay": 0.0}],
        lr=spec["lr"], betas=BETAS, eps=ADAM_EPS,
    )
    if len(spec["batches"]) < warmup + steps:
        raise SystemExit(f"error: {len(spec['batches'])} batches for {warmup} + {steps} steps")
    losses, times, cpu_times = [], [], []
    for step in range(warmup + steps):
        batch = spec["batches"][step]
        tokens = torch.tensor(batch["inputIds"], dtype=torch.long).view(B, L)
        labels = torch.tensor(batch["labels"], dtype=torch.long).view(-1)
        weights = torch.tensor(batch["weights"], dtype=torch.float32)
        t0, c0 = time.perf_counter(), time.process_time()
        logits = model(tokens)  # [B, L, V]
        logp = torch.log_softmax(logits.reshape(B * L, -1), dim=-1)  # [B*L, V]
        ce = -logp.gather(1, labels[:, None])[:, 0]  # [B*L]
        loss = (weights * ce).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), MAX_GRAD_NORM)
        opt.step()
        value = loss.item()
        if step >= warmup:
            times.append((time.perf_counter() - t0) * 1000)
            cpu_times.append((time.process_time() - c0) * 1000)
        losses.append(value)
    result = {
        "backend": "pytorch",
        "threads": torch.get_num_threads(),
        "steps": steps,
        "msPerStep": statistics.median(times),
        "bestMsPerStep": min(times),
        "cpuMsPerStep": statistics.median(cpu_times),
        "losses": losses,
        "torchVersion": torch.__version__,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
