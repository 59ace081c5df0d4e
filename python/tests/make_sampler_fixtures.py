"""The PyTorch side of test/torch/datasets.test.ts and samplers.test.ts (called by
make_parity_fixtures.py): points of every built-in density from flowfield_torch/densities.py,
and every DDPM and flow-matching sampler and likelihood of small trained models, run from the
playground's own noise (Philox, batches.py playground_noise) in float64 and in float32."""

import json
import os

import torch

from flowfield_torch.batches import playground_noise
from flowfield_torch.config import build_model
from flowfield_torch.densities import sample_density
from flowfield_torch.reflow import make_pairs

DENSITY_POINTS = 4000
# Defaults ({}: Python's defaults must be the playground's) and a few non-default parameters.
DENSITIES = [{"name": name, "params": {}} for name in (
    "gaussian", "moons", "circles", "rings", "8gaussians", "25gaussians", "pinwheel",
    "swissroll", "2spirals", "checkerboard", "line", "sine", "smiley",
)] + [
    {"name": "gaussian", "params": {"mean": [1.0, -2.0], "cov": [[2.0, 0.6], [0.6, 0.5]]}},
    {"name": "circles", "params": {"noise": 0.05, "factor": 0.3}},
    {"name": "pinwheel", "params": {"arms": 3, "radialStd": 0.2, "tangentialStd": 0.15, "rate": 0.4}},
    {"name": "25gaussians", "params": {"spacing": 1.5, "std": 0.1}},
]

NORMALIZATION = {"shift": [0.25, -0.5], "scale": [1.5, 0.75]}  # exact in float32
SEED, SAMPLES, POINTS = 17, 24, 12
MODELS = {
    "ddpm-eps-linear": {"family": "diffusion", "kind": "ddpm", "layers": 2, "hidden": 16, "hiddenLayers": 2,
                        "activation": "silu", "seed": 31, "timesteps": 40, "noiseSchedule": "linear", "prediction": "eps"},
    "ddpm-v-cosine": {"family": "diffusion", "kind": "ddpm", "layers": 2, "hidden": 16, "hiddenLayers": 2,
                      "activation": "silu", "seed": 32, "timesteps": 50, "noiseSchedule": "cosine", "prediction": "v"},
    "flow-matching": {"family": "diffusion", "kind": "flow-matching", "layers": 2, "hidden": 16, "hiddenLayers": 2,
                      "activation": "silu", "seed": 33, "timesteps": 1000, "noiseSchedule": "linear", "prediction": "eps"},
}
RUNS = {
    "ddpm-eps-linear": [("ddpm", None), ("ddim", 10), ("pf-euler", 10), ("pf-heun", 8)],
    "ddpm-v-cosine": [("ddpm", None), ("ddim", 12), ("pf-euler", 12), ("pf-heun", 6)],
    "flow-matching": [("euler", 12), ("midpoint", 8), ("heun", 8), ("rk4", 5)],
}
LIKELIHOOD_STEPS = 12
REFLOW_PAIRS, REFLOW_STEPS = 64, 6


def floats(t):
    return t.detach().reshape(-1).tolist()


def densities(g):
    return [
        {**case, "points": [float(f"{v:.7g}") for v in floats(sample_density(case["name"], case["params"], DENSITY_POINTS, g))]}
        for case in DENSITIES
    ]


def trained(settings, g):
    """150 Adam steps on two moons (model coordinates): samplers of a model that learned a
    density, whose samples stay of the data's size."""
    model = build_model(settings)
    with torch.no_grad():
        model.shift.copy_(torch.tensor(NORMALIZATION["shift"]))
        model.scale.copy_(torch.tensor(NORMALIZATION["scale"]))
    pool = (sample_density("moons", {}, 2048, g) - model.shift) / model.scale
    opt = torch.optim.Adam([model.params], lr=1e-2)
    for _ in range(150):
        x = pool[torch.randint(len(pool), (128,), generator=g)]
        loss = model.loss_at(x, model.draw_times(128, g), torch.randn(128, 2, generator=g))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


def sampler_case(name, settings, g):
    model = trained(settings, g)
    out = {"settings": settings, "normalization": NORMALIZATION, "params": floats(model.params), "seed": SEED, "runs": []}
    for sampler, steps in RUNS[name]:
        run = {"sampler": sampler, "steps": steps}
        for dtype, key in ((torch.float64, "samples64"), (torch.float32, "samples32")):
            z = playground_noise(SEED, SAMPLES, dtype=dtype)

            def noise(k, dtype=dtype):
                return playground_noise(SEED, SAMPLES, step=k, dtype=dtype)

            run[key] = floats(model.sample(SAMPLES, sampler=sampler, steps=steps, z=z, noise=noise))
        out["runs"].append(run)
    points = model.sample(POINTS, sampler="rk4" if settings["kind"] == "flow-matching" else "ddim", z=torch.randn(POINTS, 2, generator=g))
    out["points"] = floats(points)
    out["likelihoodSteps"] = LIKELIHOOD_STEPS
    out["logProb64"] = floats(model.log_prob(points.double(), steps=LIKELIHOOD_STEPS))
    out["logProb32"] = floats(model.log_prob(points.float(), steps=LIKELIHOOD_STEPS))
    if settings["kind"] == "flow-matching":
        # Reflow pairs made by this model as the teacher (model coordinates).
        x, z = make_pairs(model, REFLOW_PAIRS, REFLOW_STEPS, SEED)
        out["reflow"] = {"count": REFLOW_PAIRS, "steps": REFLOW_STEPS, "x": floats(x), "z": floats(z)}
    return out


def write(out_dir, g):
    with open(os.path.join(out_dir, "densities.json"), "w") as f:
        json.dump({"cases": densities(g)}, f)
    cases = {name: sampler_case(name, settings, g) for name, settings in MODELS.items()}
    with open(os.path.join(out_dir, "samplers.json"), "w") as f:
        json.dump({"cases": cases}, f)
    print(f"wrote {len(DENSITIES)} density and {len(cases)} sampler cases to {out_dir}")
