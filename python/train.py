"""Trains the model of this exported Flowfield notebook.

  python3 train.py                                  one process (CPU, or the GPU if there is one)
  torchrun --nproc_per_node=N train.py              N processes with DistributedDataParallel
  torchrun --nproc_per_node=N train.py --resume     continue from out/checkpoint.pt

Writes out/weights.safetensors (open it in the playground: Files → Open file, then the weights)
and out/checkpoint.pt. See README.md."""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from flowfield_torch.training import train  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(HERE, "out"), help="folder for checkpoint.pt and weights.safetensors")
    parser.add_argument("--steps", type=int, help="train this many steps instead of config.json's")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    parser.add_argument("--checkpoint-every", type=int, default=100)
    parser.add_argument("--log-every", type=int, default=100)
    parser.add_argument("--init", help="start from these weights (e.g. the export's weights.safetensors)")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 … (default: the local GPU if any)")
    args = parser.parse_args()
    train(
        HERE,
        args.out,
        steps=args.steps,
        resume=args.resume,
        checkpoint_every=args.checkpoint_every,
        log_every=args.log_every,
        device=args.device,
        init=args.init,
    )


if __name__ == "__main__":
    main()
