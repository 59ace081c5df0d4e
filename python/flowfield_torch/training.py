"""Training an exported notebook, in one process or with DistributedDataParallel under torchrun.

Batches: the randomness of step s (which data points, DDPM's t and ε) comes from a generator
keyed by (seed, s) and is drawn for the whole global batch on every rank; rank r trains on its
slice r·B/N … (r+1)·B/N − 1, as torch's DistributedSampler splits one shared permutation. DDP
averages the N slice-mean gradients, which is the global-batch mean: `batch` and `learningRate`
mean the same for any N, and N processes follow one process's trajectory (to float rounding).
Rank 0 alone writes progress, checkpoints and the final weights; a checkpoint holds the step,
weights and optimizer state, so a resumed run continues the same trajectory."""

import json
import math
import os
import signal
import sys
import time

import torch
import torch.distributed as dist

from .config import build_model, load_config
from .data import load_data, normalization_of
from .ema import Ema
from .image_data import dequantize, load_image_data
from .reflow import reflow_data
from .weights import load_weights, save_notebook, save_weights

CHECKPOINT = "checkpoint.pt"


class Distributed:
    """rank, world size and device; set up from torchrun's environment (gloo on CPU, nccl on CUDA)."""

    def __init__(self, device=None):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if device is None:
            device = f"cuda:{local}" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        if self.world > 1:
            dist.init_process_group(backend="nccl" if self.device.type == "cuda" else "gloo")

    @property
    def main(self):
        return self.rank == 0

    def close(self):
        if self.world > 1 and dist.is_initialized():
            dist.destroy_process_group()


def step_generator(seed, step):
    return torch.Generator().manual_seed((seed * 1_000_003 + step * 7919 + 1) % (2**63))


def make_optimizer(train, params):
    kind, lr = train.get("optimizer", "adam"), float(train["learningRate"])
    if kind == "adam":
        opt = torch.optim.Adam([params], lr=lr)
    elif kind == "adamw":
        opt = torch.optim.AdamW([params], lr=lr, weight_decay=0.01)
    elif kind == "sgd":
        opt = torch.optim.SGD([params], lr=lr)
    else:
        raise ValueError(f"train.optimizer must be adam, adamw or sgd, found {kind!r}.")
    steps = int(train["steps"])
    if train.get("schedule", "constant") == "cosine":
        # scheduled_lr in optimizer.wgsl: lr·½(1 + cos(π·t/steps)) at 1-based step t.
        schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.5 * (1 + math.cos(math.pi * min(1.0, (e + 1) / steps))))
    else:
        schedule = None
    return opt, schedule


def train(folder, out_dir, steps=None, resume=False, checkpoint_every=100, log_every=100, device=None, log=print, init=None):
    # Checked before the process group forms, so every rank stops at once with the reason.
    batch, world = int(load_config(os.path.join(folder, "config.json"))["train"]["batch"]), int(os.environ.get("WORLD_SIZE", "1"))
    if batch % world:
        raise ValueError(
            f"train.batch {batch} does not split over {world} processes: use a batch divisible by "
            f"--nproc_per_node (e.g. {batch - batch % world}) or another process count."
        )
    env = Distributed(device)
    try:
        return _train(env, folder, out_dir, steps, resume, checkpoint_every, log_every, log, init)
    finally:
        env.close()


def _train(env, folder, out_dir, steps, resume, checkpoint_every, log_every, log, init):
    config = load_config(os.path.join(folder, "config.json"))
    settings, train = config["model"], config["train"]
    total = int(steps if steps is not None else train["steps"])
    batch = int(train["batch"])
    local = batch // env.world
    seed = int(config.get("seeds", {}).get("data", 0))
    model = build_model(settings, config.get("imageModel"))
    shift, scale = normalization_of(config)
    with torch.no_grad():
        model.shift.copy_(shift)
        model.scale.copy_(scale)
    if init:
        # The playground's weights (weights.safetensors of the export) as the starting point.
        load_weights(init, model)
    data = reflow_data(folder, config, env.main and log) if settings.get("pairing") == "reflow" else load_data(folder, config)
    model.to(env.device)
    if hasattr(model, "initialize_from_data"):
        first, _ = data.draw(512, step_generator(seed, -1))
        model.initialize_from_data(first.to(env.device))
    opt, schedule = make_optimizer(train, model.params)
    ema = Ema(float(config.get("ema", 0) or 0), model.params)
    start = 0
    path = os.path.join(out_dir, CHECKPOINT)
    if resume:
        if not os.path.exists(path):
            raise FileNotFoundError(f"--resume: no checkpoint at {path}; start without --resume.")
        state = torch.load(path, map_location=env.device)
        with torch.no_grad():
            model.params.copy_(state["params"])
        opt.load_state_dict(state["optimizer"])
        ema.load_state_dict(state.get("ema"))
        if schedule is not None:
            schedule.load_state_dict(state["schedule"])
        start = state["step"]
        if env.main:
            log(f"resumed from {path} at step {start}")
    net = model
    if env.world > 1:
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[env.device.index] if env.device.type == "cuda" else None)
    kill = os.environ.get("FLOWFIELD_TEST_KILL")  # "rank:step": tests kill a rank for real here
    began = time.time()
    step = start
    try:
        for step in range(start, total):
            if kill and kill == f"{env.rank}:{step}":
                os.kill(os.getpid(), signal.SIGKILL)
            loss = _step(net, model, opt, data, seed, step, batch, local, env)
            ema.update(model.params)
            logging = log_every and ((step + 1) % log_every == 0 or step + 1 == total)
            if logging and env.world > 1:
                # Every rank joins: the global batch's loss is the mean of the slices' losses.
                mean = torch.tensor([loss], device=env.device)
                dist.all_reduce(mean)
                loss = float(mean) / env.world
            if schedule is not None:
                schedule.step()
            if env.main and (step + 1) % checkpoint_every == 0 and step + 1 < total:
                _checkpoint(path, model, opt, schedule, ema, step + 1)
            if env.main and logging:
                rate = (step + 1 - start) / max(time.time() - began, 1e-9)
                log(f"step {step + 1}/{total}  loss {loss:.5f}  {rate:.1f} steps/s  ({env.world} process{'es' if env.world > 1 else ''})")
    except RuntimeError as e:
        if env.world > 1:
            print(
                f"flowfield train.py, rank {env.rank}: another process of this run stopped near step {step + 1} ({e}). "
                f"The last checkpoint is {path}; rerun the same command with --resume to finish.",
                file=sys.stderr,
            )
            sys.exit(1)
        raise
    if env.main:
        os.makedirs(out_dir, exist_ok=True)
        _checkpoint(path, model, opt, schedule, ema, total)
        train_id = config.get("trainId", "train")
        normalization = config["data"]["normalization"]
        if ema.active and settings.get("family") == "diffusion":
            # The playground samples a trained diffusion model with its EMA (useEma) and opens
            # weights as its sampling weights: the file carries the EMA (checkpoint.pt both).
            with torch.no_grad():
                model.params.copy_(ema.weights)
        if getattr(model, "family", None) == "image-flow":
            log(f"held-out bits/dim: {held_out_bits_per_dim(folder, config, model):.4f} (test split, first {HELD_OUT} images)")
        save_weights(os.path.join(out_dir, "weights.safetensors"), model, settings, total, train_id, normalization)
        if config.get("notebook"):
            # The notebook with these weights: Files → Open file… in the playground opens it trained.
            with open(os.path.join(folder, config["notebook"])) as f:
                notebook_file = json.load(f)
            save_notebook(os.path.join(out_dir, config["notebook"]), notebook_file, train_id, model, total, normalization)
    return model


HELD_OUT = 1000


def held_out_bits_per_dim(folder, config, model, count=HELD_OUT, seed=0):
    """Mean bits/dim of the first `count` images of the Data cell's test split (one fixed dequantization)."""
    pixels = load_image_data(folder, config, split="test")[:count]
    device = model.params.device
    with torch.no_grad():
        y = dequantize(pixels, torch.Generator().manual_seed(seed)).to(device)
        return float(torch.cat([model.bits_per_dim(y[i : i + 500]) for i in range(0, len(y), 500)]).mean())


def _step(net, model, opt, data, seed, step, batch, local, env):
    # The whole global batch from one (seed, step) generator on every rank, each rank its slice.
    g = step_generator(seed, step)
    lo, hi = env.rank * local, (env.rank + 1) * local
    x, pair_noise = data.draw(batch, g)
    if hasattr(model, "draw_times"):
        t = model.draw_times(batch, g)
        eps = pair_noise if pair_noise is not None else torch.randn(batch, 2, generator=g)
        if model.kind == "flow-matching" and model.pairing == "minibatch-ot":
            from .assignment import ot_pairing

            eps = eps[ot_pairing(x, eps)]
        loss = net(x[lo:hi].to(env.device), t[lo:hi].to(env.device), eps[lo:hi].to(env.device))
    else:
        loss = net(x[lo:hi].to(env.device))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return float(loss)


def _checkpoint(path, model, opt, schedule, ema, step):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    state = {"step": step, "params": model.params.detach().cpu(), "optimizer": opt.state_dict(), "ema": ema.state_dict()}
    if schedule is not None:
        state["schedule"] = schedule.state_dict()
    tmp = f"{path}.tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)  # never a half-written checkpoint
