"""Samples the trained model of this export and prints log-densities.

  python3 sample.py [--weights out/weights.safetensors] [--n 1000] [--out samples.csv]
  python3 sample.py --sampler pf-heun --steps 50      DDPM: ddim (default), ddpm, pf-euler, pf-heun
  python3 sample.py --sampler euler --steps 50        flow matching: rk4 (default), euler, midpoint, heun

The samplers are the playground's, with its time grids and defaults (DDIM/PF-ODE: min(50, T)
steps; the ancestral 'ddpm' sampler always takes all T steps; flow matching: RK4 20 steps, the
others 50). log p is the playground's: exact for flows, the probability-flow ODE for diffusion."""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

from flowfield_torch.config import build_model, load_config  # noqa: E402
from flowfield_torch.sampling import DDPM_SAMPLERS, FLOW_SAMPLERS  # noqa: E402
from flowfield_torch.weights import load_weights  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default=os.path.join(HERE, "out", "weights.safetensors"))
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument(
        "--sampler",
        choices=DDPM_SAMPLERS + FLOW_SAMPLERS,
        help=f"diffusion sampler: DDPM {', '.join(DDPM_SAMPLERS)}; flow matching {', '.join(FLOW_SAMPLERS)}",
    )
    parser.add_argument("--steps", type=int, help="sampler steps (diffusion; default: the playground's)")
    parser.add_argument("--log-prob-steps", type=int, default=50, help="RK4 steps of the diffusion likelihood")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="samples.csv")
    args = parser.parse_args()
    config = load_config(os.path.join(HERE, "config.json"))
    model = build_model(config["model"], config.get("imageModel"))
    load_weights(args.weights, model)
    if getattr(model, "family", None) == "image-flow":
        # Images: 8-bit pixels [n, c, h, w] in a torch file (torch.load), and their bits/dim.
        out = args.out if args.out.endswith(".pt") else "samples.pt"
        with torch.no_grad():
            pixels = model.sample(args.n, generator=torch.Generator().manual_seed(args.seed))
        torch.save(pixels, out)
        print(f"wrote {args.n} images ({'×'.join(map(str, model.shape))}, uint8) to {out}")
        return
    diffusion = hasattr(model, "draw_times")
    if args.sampler and not diffusion:
        parser.error(f"--sampler is for diffusion models; this is a {model.kind} flow, sampled by its inverse map.")
    allowed = FLOW_SAMPLERS if diffusion and model.kind == "flow-matching" else DDPM_SAMPLERS
    if args.sampler and args.sampler not in allowed:
        parser.error(f"--sampler {args.sampler} is not a {model.kind} sampler; choose one of {', '.join(allowed)}.")
    g = torch.Generator().manual_seed(args.seed)
    with torch.no_grad():
        points = model.sample(args.n, generator=g, steps=args.steps, sampler=args.sampler) if diffusion else model.sample(args.n, generator=g)
    with open(args.out, "w") as f:
        f.write("x,y\n")
        for x, y in points.tolist():
            f.write(f"{x:.6g},{y:.6g}\n")
    print(f"wrote {args.n} samples to {args.out}")
    # The diffusion likelihood integrates an ODE with the exact divergence per point: 1000 points at most.
    subset = points[: 1000 if diffusion else len(points)]
    log_p = model.log_prob(subset, steps=args.log_prob_steps) if diffusion else model.log_prob(subset)
    print(f"mean log p of {len(subset)} samples: {float(log_p.mean()):.4f} nats")


if __name__ == "__main__":
    main()
