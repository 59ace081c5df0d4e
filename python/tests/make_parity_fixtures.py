"""Writes the PyTorch side of the parity tests as JSON (one file per model kind) for
test/torch/parity.test.ts, which runs the same weights and batches through Flowfield on the GPU:
layout and initial weights, loss and gradients (autograd), log p, the inverse map, and 200 steps
of training on fixed batches. Usage: python3 make_parity_fixtures.py OUT_DIR"""

import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from flowfield_torch import DiffusionModel, FlowModel  # noqa: E402
from flowfield_torch.batches import playground_draws, playground_noise  # noqa: E402
from flowfield_torch.weights import save_weights  # noqa: E402

TRAIN_STEPS = 200
NORMALIZATION = {"shift": [0.3, -0.2], "scale": [1.5, 0.8]}

FLOWS = [
    {"kind": "nice", "layers": 3, "hidden": 8, "hiddenLayers": 2, "activation": "tanh", "seed": 11},
    {"kind": "realnvp", "layers": 4, "hidden": 8, "hiddenLayers": 2, "activation": "silu", "seed": 3},
    {"kind": "glow", "layers": 2, "hidden": 8, "hiddenLayers": 1, "activation": "gelu", "seed": 5},
    {"kind": "spline", "layers": 2, "hidden": 8, "hiddenLayers": 2, "activation": "tanh", "seed": 7},
]
DIFFUSIONS = [
    {"kind": "ddpm", "timesteps": 100, "schedule": "linear", "prediction": "eps", "hidden": 16, "layers": 2, "seed": 2},
    {"kind": "ddpm", "timesteps": 50, "schedule": "cosine", "prediction": "v", "hidden": 16, "layers": 2, "seed": 4},
    {"kind": "flow-matching", "hidden": 16, "layers": 2, "seed": 6},
    # Reflow pairs carry their own noise: the GPU trains on exactly the ε given here.
    {"kind": "flow-matching", "pairing": "reflow", "hidden": 16, "layers": 2, "seed": 8},
]


def floats(t):
    return t.detach().reshape(-1).to(torch.float32).tolist()


def adam_train(model, loss_of_step, steps, lr):
    opt = torch.optim.Adam([model.params], lr=lr)
    losses = []
    for step in range(steps):
        opt.zero_grad()
        loss = loss_of_step(step)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return losses


def flow_case(spec, g):
    model = FlowModel(
        spec["kind"], spec["layers"], spec["hidden"], spec["hiddenLayers"], spec["activation"], spec["seed"]
    )
    out = {"family": "flow", "spec": {"family": "flow", **spec}, "layout": layout(model), "init": floats(model.params)}
    with torch.no_grad():
        model.params.add_(0.2 * torch.randn(model.params.shape, generator=g))
        model.shift.copy_(torch.tensor(NORMALIZATION["shift"]))
        model.scale.copy_(torch.tensor(NORMALIZATION["scale"]))
    out["params"] = floats(model.params)
    out["normalization"] = NORMALIZATION
    batch = 1.2 * torch.randn(64, 2, generator=g)
    loss = model.nll(batch)
    (grad,) = torch.autograd.grad(loss, model.params)
    z = torch.randn(32, 2, generator=g)
    with torch.no_grad():
        # Typical points of the model (its samples), where log p is moderate.
        points = model.inverse(torch.randn(32, 2, generator=g))
        out.update(
            batch=floats(batch),
            loss=float(loss),
            grads=floats(grad),
            points=floats(points),
            logProb=floats(model.log_prob(points)),
            z=floats(z),
            inverse=floats(model.inverse(z)),
        )
    # Training parity: 200 Adam steps on fixed batches, from the perturbed weights.
    train_batch = 32
    batches = 1.2 * torch.randn(TRAIN_STEPS, train_batch, 2, generator=g)
    start = model.params.detach().clone()
    # lr 1e-3: at 1e-2 the spline's Adam steps amplify rounding (float32 against float64 in
    # PyTorch alone then ends 4e-2 apart), so no float32 engine could match another there.
    losses = adam_train(model, lambda s: model.nll(batches[s]), TRAIN_STEPS, 1e-3)
    out["train"] = {
        "batch": train_batch,
        "lr": 1e-3,
        "start": floats(start),
        "batches": floats(batches),
        "losses": losses,
        "final": floats(model.params),
    }
    return out


def diffusion_case(spec, g):
    model = DiffusionModel(
        spec["kind"],
        hidden=spec["hidden"],
        layers=spec["layers"],
        seed=spec["seed"],
        timesteps=spec.get("timesteps", 1000),
        schedule=spec.get("schedule", "linear"),
        prediction=spec.get("prediction", "eps"),
    )
    lab_spec = {"family": "diffusion", **spec}
    out = {"family": "diffusion", "spec": lab_spec, "layout": layout(model), "init": floats(model.params)}
    with torch.no_grad():
        model.params.mul_(2.0)  # larger weights than the init: a far-from-linear network
        model.params.add_(0.05 * torch.randn(model.params.shape, generator=g))
    out["params"] = floats(model.params)
    T = spec.get("timesteps", 1000)
    seed, batch = 9, 32
    x0 = torch.randn(batch, 2, generator=g)
    reflow = spec.get("pairing") == "reflow"
    t, eps = playground_draws(spec["kind"], T, seed, 0, batch)
    if reflow:
        eps = torch.randn(batch, 2, generator=g)
        out["noise"] = floats(eps)
    loss = model.loss_at(x0, t, eps)
    (grad,) = torch.autograd.grad(loss, model.params)
    xt, net_time, target = model.training_batch(x0, t, eps)
    out.update(seed=seed, batch=floats(x0), times=t.tolist(), loss=float(loss), grads=floats(grad))
    out.update(noised=floats(xt), netTime=floats(net_time), targets=floats(target), output=floats(model.net(xt, net_time)))
    batches = torch.randn(TRAIN_STEPS, batch, 2, generator=g)
    noises = torch.randn(TRAIN_STEPS, batch, 2, generator=g)
    start = model.params.detach().clone()

    def step_loss(s):
        ts, es = playground_draws(spec["kind"], T, seed, s, batch)
        return model.loss_at(batches[s], ts, noises[s] if reflow else es)

    losses = adam_train(model, step_loss, TRAIN_STEPS, 1e-3)
    out["train"] = {
        "batch": batch,
        "lr": 1e-3,
        "start": floats(start),
        "batches": floats(batches),
        **({"noises": floats(noises)} if reflow else {}),
        "losses": losses,
        "final": floats(model.params),
    }
    return out


ROUND_TRIPS = [
    {"family": "flow", "kind": "spline", "layers": 2, "hidden": 16, "hiddenLayers": 2, "activation": "tanh", "seed": 21},
    {"family": "flow", "kind": "glow", "layers": 2, "hidden": 16, "hiddenLayers": 2, "activation": "tanh", "seed": 22},
    {"family": "diffusion", "kind": "flow-matching", "layers": 2, "hidden": 16, "hiddenLayers": 2, "activation": "silu", "seed": 23,
     "timesteps": 1000, "noiseSchedule": "linear", "prediction": "eps"},
    {"family": "diffusion", "kind": "ddpm", "layers": 2, "hidden": 16, "hiddenLayers": 2, "activation": "silu", "seed": 24,
     "timesteps": 100, "noiseSchedule": "linear", "prediction": "eps"},
]


def round_trip(settings, out_dir, g):
    """Trains in PyTorch (150 Adam steps on two moons), writes the playground's .safetensors and
    what PyTorch says about the trained model, for the playground to open and compare."""
    from flowfield_torch.config import build_model

    model = build_model(settings)
    normalization = {"shift": [0.5, 0.25], "scale": [0.87, 0.5]}
    with torch.no_grad():
        model.shift.copy_(torch.tensor(normalization["shift"]))
        model.scale.copy_(torch.tensor(normalization["scale"]))
    angle = torch.rand(4096, generator=g) * 3.14159
    data = torch.stack([torch.cos(angle), torch.sin(angle)], 1) + 0.08 * torch.randn(4096, 2, generator=g)
    pool = (data - model.shift) / model.scale
    if hasattr(model, "initialize_from_data"):
        model.initialize_from_data(pool[:512])
    opt = torch.optim.Adam([model.params], lr=1e-2)
    for step in range(150):
        x = pool[torch.randint(len(pool), (128,), generator=g)]
        if settings["family"] == "flow":
            loss = model.nll(x)
        else:
            loss = model.loss_at(x, model.draw_times(128, g), torch.randn(128, 2, generator=g))
        opt.zero_grad()
        loss.backward()
        opt.step()
    name = f"roundtrip-{settings['kind']}"
    save_weights(os.path.join(out_dir, f"{name}.safetensors"), model, settings, 150, "train1", normalization)
    out = {"settings": settings}
    with torch.no_grad():
        if settings["family"] == "flow":
            z = torch.randn(64, 2, generator=g)
            points = model.inverse(torch.randn(64, 2, generator=g))
            out.update(z=floats(z), inverse=floats(model.inverse(z)), points=floats(points), logProb=floats(model.log_prob(points)))
        else:
            seed, n = 5, 64
            sampler, steps = ("rk4", 20) if settings["kind"] == "flow-matching" else ("ddim", 25)
            z = playground_noise(seed, n)
            out.update(seed=seed, sampler=sampler, steps=steps, samples=floats(model.sample(n, steps=steps, sampler=sampler, z=z)))
            if settings["kind"] == "flow-matching":
                points = data[:32]
                out.update(points=floats(points), logProb=floats(model.log_prob(points, steps=20)), logProbSteps=20)
    return name, out


def notebook_round_trip(out_dir, g):
    """A gallery notebook's trained NICE, trained 30 more steps in PyTorch from the playground's
    weights, written back as a `.flowfield.json` with the weights in place (what train.py writes)."""
    import base64
    import struct

    from flowfield_torch.config import build_model
    from flowfield_torch.weights import save_notebook

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "public", "gallery", "nice-moons.flowfield.json")) as f:
        doc = json.load(f)
    settings = next(c for c in doc["notebook"]["cells"] if c["kind"] == "model")["model"]
    entry = doc["weights"][0]
    raw = base64.b64decode(entry["float32"])
    model = build_model(settings)
    with torch.no_grad():
        model.params.copy_(torch.tensor(struct.unpack(f"<{len(raw) // 4}f", raw)))
        model.shift.copy_(torch.tensor(entry["normalization"]["shift"]))
        model.scale.copy_(torch.tensor(entry["normalization"]["scale"]))
    start = floats(model.params)
    opt = torch.optim.Adam([model.params], lr=1e-3)
    for _ in range(30):
        x = model.inverse(torch.randn(256, 2, generator=g)).detach() + 0.05 * torch.randn(256, 2, generator=g)
        loss = model.nll((x - model.shift) / model.scale)
        opt.zero_grad()
        loss.backward()
        opt.step()
    save_notebook(os.path.join(out_dir, "roundtrip-notebook.flowfield.json"), doc, entry["trainId"], model, entry["steps"] + 30, entry["normalization"])
    with torch.no_grad():
        points = model.inverse(torch.randn(32, 2, generator=g))
        return {"trainId": entry["trainId"], "start": start, "points": floats(points), "logProb": floats(model.log_prob(points))}


def layout(model):
    return [{"name": v.name, "shape": list(v.shape)} for v in model.layout.views]


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    g = torch.Generator().manual_seed(1234)
    cases = {}
    for spec in FLOWS:
        cases[spec["kind"]] = flow_case(spec, g)
    for spec in DIFFUSIONS:
        name = spec["kind"] + ("-reflow" if spec.get("pairing") == "reflow" else "")
        if spec["kind"] == "ddpm":
            name = f"ddpm-{spec['prediction']}-{spec['schedule']}"
        cases[name] = diffusion_case(spec, g)
    with open(os.path.join(out_dir, "parity.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f)
    trips = dict(round_trip(settings, out_dir, g) for settings in ROUND_TRIPS)
    trips["notebook"] = notebook_round_trip(out_dir, g)
    with open(os.path.join(out_dir, "roundtrip.json"), "w") as f:
        json.dump(trips, f)
    print(f"wrote {len(cases)} parity cases to {out_dir}/parity.json (torch {torch.__version__})")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import make_sampler_fixtures

    make_sampler_fixtures.write(out_dir, torch.Generator().manual_seed(4321))
    import make_image_fixtures

    make_image_fixtures.write(out_dir, torch.Generator().manual_seed(99))


if __name__ == "__main__":
    main(sys.argv[1])
