"""Samples the trained model of this export and prints log-densities.

  python3 sample.py [--weights out/weights.safetensors] [--n 1000] [--out samples.csv]"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

from flowfield_torch.config import build_model, load_config  # noqa: E402
from flowfield_torch.weights import load_weights  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weights", default=os.path.join(HERE, "out", "weights.safetensors"))
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=100, help="sampler steps (diffusion)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="samples.csv")
    args = parser.parse_args()
    config = load_config(os.path.join(HERE, "config.json"))
    model = build_model(config["model"])
    load_weights(args.weights, model)
    g = torch.Generator().manual_seed(args.seed)
    with torch.no_grad():
        points = model.sample(args.n, generator=g, steps=args.steps) if hasattr(model, "draw_times") else model.sample(args.n, generator=g)
    with open(args.out, "w") as f:
        f.write("x,y\n")
        for x, y in points.tolist():
            f.write(f"{x:.6g},{y:.6g}\n")
    print(f"wrote {args.n} samples to {args.out}")
    if not hasattr(model, "draw_times"):
        print(f"mean log p of the samples: {float(model.log_prob(points).mean()):.4f} nats")


if __name__ == "__main__":
    main()
