"""PyTorch CPU steps/s of the benchmark workloads of bench/cases/workloads.ts (RealNVP-2D: 8
affine couplings, conditioners 1 → 64 → 64 tanh; DDPM: 2 + 32 → 128 × 3 relu → 2, T = 1000),
Adam, at batch 512 and 4096, in one process and in 2 DDP processes (gloo) splitting the same
global batch. Prints one JSON line per case (for bench/run.mjs --pytorch) and a table.

  /usr/bin/python3 python/bench.py [--seconds 2] [--batches 512,4096] [--processes 1,2]"""

import argparse
import json
import os
import socket
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from flowfield_torch import DiffusionModel, FlowModel  # noqa: E402

WORKLOADS = {
    "realnvp": lambda: FlowModel("realnvp", layers=8, hidden=64, hidden_layers=2, activation="tanh", seed=1),
    "ddpm": lambda: DiffusionModel("ddpm", hidden=128, layers=3, activation="relu", seed=1, timesteps=1000),
}


def eight_gaussians(n, g):
    centres = torch.tensor([[1, 0], [-1, 0], [0, 1], [0, -1], [0.7071, 0.7071], [-0.7071, 0.7071], [0.7071, -0.7071], [-0.7071, -0.7071]])
    return 2 * centres[torch.randint(8, (n,), generator=g)] + 0.1 * torch.randn(n, 2, generator=g)


def timed_steps(kind, batch, seconds, rank=0, world=1):
    torch.manual_seed(0)
    model = WORKLOADS[kind]()
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    opt = torch.optim.Adam([model.params], lr=1e-3)
    g = torch.Generator().manual_seed(1)
    local = batch // world

    def step():
        x = eight_gaussians(local, g)
        if kind == "ddpm":
            loss = net(x, model.draw_times(local, g), torch.randn(local, 2, generator=g))
        else:
            loss = net(x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(5):
        step()
    steps = 0
    began = time.perf_counter()
    # Ranks agree on when to stop (rank 0's clock), so they run the same number of steps.
    while True:
        step()
        steps += 1
        done = torch.tensor([time.perf_counter() - began >= seconds], dtype=torch.int32)
        if world > 1:
            dist.broadcast(done, 0)
        if done.item():
            break
    return steps / (time.perf_counter() - began)


def _rank(rank, world, port, kind, batch, seconds, out):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    rate = timed_steps(kind, batch, seconds, rank, world)
    if rank == 0:
        out.put(rate)
    dist.destroy_process_group()


def ddp_rate(kind, batch, seconds, world):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctx = mp.get_context("spawn")
    out = ctx.SimpleQueue()
    mp.start_processes(_rank, args=(world, port, kind, batch, seconds, out), nprocs=world, start_method="spawn")
    return out.get()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--batches", default="512,4096")
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--workloads", default="realnvp,ddpm")
    args = parser.parse_args()
    rows = []
    for kind in args.workloads.split(","):
        for batch in map(int, args.batches.split(",")):
            for world in map(int, args.processes.split(",")):
                rate = timed_steps(kind, batch, args.seconds) if world == 1 else ddp_rate(kind, batch, args.seconds, world)
                row = {"group": f"{kind}/b{batch}/train", "impl": "pytorch-cpu", "processes": world, "threads": torch.get_num_threads() if world == 1 else 1, "stepsPerSecond": rate, "torch": torch.__version__}
                rows.append(row)
                print("PYTORCH_BENCH " + json.dumps(row), flush=True)
    print(f"\nPyTorch {torch.__version__} on the CPU ({os.cpu_count()} cores), steps/s:")
    for r in rows:
        print(f"  {r['group']:<22} {r['processes']} process{'es' if r['processes'] > 1 else '  '}  {r['stepsPerSecond']:8.1f}")


if __name__ == "__main__":
    main()
