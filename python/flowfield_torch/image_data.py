"""The image sets of an exported image notebook: the playground's shipped asset (MNIST or
Fashion-MNIST, `images/<name>-<size>.bin.gz`, the file dist/data/ serves; format in
scripts/build-datasets.mjs and parseImageAsset in src/data/images/image-set.ts), the Data cell's
split and classes, and the training batches: y = (pixel + u) / 256 with u ~ U(0, 1) on the
playground's 2^-15 grid (uniform dequantization, 'unit' scaling; src/data/images/preprocess.ts)."""

import gzip
import os
import struct

import torch

MAGIC = 0x4D494646  # 'FFIM' as a little-endian u32


class ImageDataError(ValueError):
    pass


def read_asset(path):
    """(pixels uint8 [count, c, h, w], labels uint8 [count], train count) of an asset file (.bin or .bin.gz)."""
    if not os.path.exists(path):
        raise ImageDataError(
            f"{path}: no such file. The export copies the image set there; if it is missing, copy it from "
            "the Flowfield package's dist/data/ (or the site's data/ folder) under the same name."
        )
    with open(path, "rb") as f:
        raw = f.read()
    data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    if len(data) < 32:
        raise ImageDataError(f"{path}: {len(data)} bytes, shorter than the asset's 32-byte header.")
    magic, version, count, train, channels, height, width, _classes = struct.unpack_from("<IIIIHHHH", data, 0)
    if magic != MAGIC or version != 1:
        raise ImageDataError(f"{path}: not a Flowfield image asset (expected 'FFIM' version 1).")
    pixels_at = 32 + (count + 3) // 4 * 4
    values = count * channels * height * width
    if len(data) != pixels_at + values:
        raise ImageDataError(f"{path}: {len(data)} bytes, expected {pixels_at + values} for {count} images of {channels}×{height}×{width}.")
    labels = torch.frombuffer(bytearray(data[32 : 32 + count]), dtype=torch.uint8)
    pixels = torch.frombuffer(bytearray(data[pixels_at:]), dtype=torch.uint8).view(count, channels, height, width)
    return pixels, labels, train


def select_images(pixels, labels, train, split="train", classes=None):
    """The images of a split ('train': the asset's first `train`, 'test': the rest, 'all') and classes."""
    index = torch.arange(len(pixels))
    if split == "train":
        keep = index < train
    elif split == "test":
        keep = index >= train
    elif split == "all":
        keep = torch.ones(len(pixels), dtype=torch.bool)
    else:
        raise ImageDataError(f"data.source.split must be 'train', 'test' or 'all', found {split!r}.")
    if classes:
        keep &= torch.isin(labels, torch.tensor(classes, dtype=torch.uint8))
    return pixels[keep], labels[keep]


def dequantize(pixels, generator=None):
    """y = (pixel + u) / 256 per value, u = (⌊2^15·U⌋ + ½) / 2^15 as the playground's image_noise; rows [n, D]."""
    flat = pixels.reshape(len(pixels), -1).to(torch.float32)
    u = (torch.floor(torch.rand(flat.shape, generator=generator) * 32768) + 0.5) / 32768
    return (flat + u) / 256


class ImageData:
    """Batches of dequantized images drawn with replacement (train.py's data for an image flow)."""

    def __init__(self, pixels):
        self.pixels = pixels

    def draw(self, n, generator):
        idx = torch.randint(len(self.pixels), (n,), generator=generator)
        return dequantize(self.pixels[idx], generator), None


def load_image_data(folder, config, split=None):
    """The exported Data cell's images (config.data: file, source.split, source.classes); `split`
    overrides the cell's (the held-out bits/dim read the 'test' split)."""
    data = config["data"]
    source = data.get("source") or {}
    pixels, labels, train = read_asset(os.path.join(folder, data["file"]))
    chosen, _ = select_images(pixels, labels, train, split or source.get("split", "train"), source.get("classes"))
    if len(chosen) == 0:
        raise ImageDataError(f"{data['file']}: no images of split {split or source.get('split', 'train')!r} and classes {source.get('classes')}.")
    return chosen
