"""The PyTorch side of the image-flow parity bench (bench/nice-parity.ts, `npm run bench --
--nice-parity`): trains the same NICE as the lab from the lab's initial weights for the same
steps (Adam, same batch and learning rate; PyTorch's own batches, `--repeats` batch seeds), then
evaluates the held-out bits/dim of the lab's trained weights and of PyTorch's on the same
dequantized test images (every image of the test split, one fixed dequantization), so the
difference is the training's, not the evaluation's. Prints one JSON line `NICE_PARITY {…}`.

  /usr/bin/python3 python/bench_image_parity.py PAGE_RESULT.json [--asset dist/data/mnist-14.bin.gz]"""

import argparse
import base64
import json
import math
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from flowfield_torch.image_data import dequantize, read_asset, select_images  # noqa: E402
from flowfield_torch.image_flows import NiceImage  # noqa: E402


def weights(text):
    raw = base64.b64decode(text)
    return torch.frombuffer(bytearray(raw), dtype=torch.float32).clone()


def held_out(model, y):
    with torch.no_grad():
        bits = torch.cat([model.bits_per_dim(y[i : i + 512]) for i in range(0, len(y), 512)])
    return float(bits.mean()), float(bits.std() / math.sqrt(len(bits)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("page", help="the page's nice-parity result (JSON: config, init, final, …)")
    parser.add_argument("--asset", help="the image set (default: dist/data/<dataset>-<size>.bin.gz)")
    parser.add_argument("--repeats", type=int, default=2, help="PyTorch runs, each with its own batch seed")
    args = parser.parse_args()
    with open(args.page) as f:
        page = json.load(f)
    c = page["config"]
    asset = args.asset or os.path.join(os.path.dirname(HERE), "dist", "data", f"{c['dataset']}-{c['size']}.bin.gz")
    pixels, labels, train = read_asset(asset)
    train_pixels, _ = select_images(pixels, labels, train, "train")
    test_pixels, _ = select_images(pixels, labels, train, "test")
    y_test = dequantize(test_pixels, torch.Generator().manual_seed(0))

    def model_with(params):
        model = NiceImage([1, c["size"], c["size"]], c["layers"], c["hidden"], c["hiddenLayers"], c["prior"], c["modelSeed"])
        with torch.no_grad():
            model.params.copy_(params)
        return model

    init = weights(page["init"])
    own_init = NiceImage([1, c["size"], c["size"]], c["layers"], c["hidden"], c["hiddenLayers"], c["prior"], c["modelSeed"]).params.detach()
    flowfield, flowfield_se = held_out(model_with(weights(page["final"])), y_test)
    runs = []
    for repeat in range(args.repeats):
        model = model_with(init)
        opt = torch.optim.Adam([model.params], lr=c["learningRate"])
        g = torch.Generator().manual_seed(1000 + repeat)
        began = time.time()
        for _ in range(c["steps"]):
            idx = torch.randint(len(train_pixels), (c["batch"],), generator=g)
            loss = model(dequantize(train_pixels[idx], g))
            opt.zero_grad()
            loss.backward()
            opt.step()
        seconds = time.time() - began
        bits, se = held_out(model, y_test)
        runs.append({"batch_seed": 1000 + repeat, "bits_per_dim": bits, "standard_error": se, "train_seconds": seconds})
    pytorch = sum(r["bits_per_dim"] for r in runs) / len(runs)
    result = {
        "config": c,
        "held_out_images": len(test_pixels),
        "init_equal": bool(torch.equal(init, own_init)),
        "init_bits_per_dim": held_out(model_with(init), y_test)[0],
        "flowfield_bits_per_dim": flowfield,
        "flowfield_standard_error": flowfield_se,
        "flowfield_lab_bits_per_dim": page["flowfield_bits_per_dim"],
        "flowfield_train_seconds": page["train_seconds"],
        "pytorch_runs": runs,
        "pytorch_bits_per_dim": pytorch,
        "difference": flowfield - pytorch,
        "pytorch_spread": max(r["bits_per_dim"] for r in runs) - min(r["bits_per_dim"] for r in runs),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
    print("NICE_PARITY " + json.dumps(result))


if __name__ == "__main__":
    main()
