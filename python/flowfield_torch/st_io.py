"""safetensors read/write in a few lines (no `safetensors` package needed), in the layout the
playground writes (src/notebook/safetensors.ts): u64 LE header length, JSON header padded with
spaces to a multiple of 8, little-endian row-major data. We write F32; we read F32 and F16."""

import array
import json
import os
import struct
import sys

import torch

_DTYPES = {"F32": (torch.float32, 4), "F16": (torch.float16, 2)}


class SafetensorsError(ValueError):
    """A file that is not readable safetensors; the message names the problem."""


def save(path, tensors, metadata=None):
    """Writes `tensors` (name → float tensor) as F32; written to a temporary file then renamed,
    so a failure never leaves a half-written file behind."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, tensor in tensors.items():
        data = tensor.detach().to(torch.float32).contiguous().cpu()
        values = array.array("f", data.reshape(-1).tolist())
        if sys.byteorder == "big":
            values.byteswap()
        raw = values.tobytes()
        header[name] = {"dtype": "F32", "shape": list(data.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
    os.replace(tmp, path)


def load(path):
    """(tensors as float32, metadata) of a safetensors file; SafetensorsError names the problem."""
    with open(path, "rb") as f:
        data = f.read()
    return loads(data, str(path))


def loads(data, name="<bytes>"):
    def bad(detail):
        return SafetensorsError(f"{name} is not a readable safetensors file: {detail}")

    if len(data) < 8:
        raise bad(f"it is {len(data)} bytes long, shorter than its 8-byte header length.")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise bad(f"its header says it is {n} bytes long, but the file holds {len(data) - 8} bytes after the length (truncated?).")
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise bad("its header is not UTF-8 JSON.") from None
    if not isinstance(header, dict):
        raise bad("its header is not a JSON object.")
    body = data[8 + n :]
    metadata = header.pop("__metadata__", {}) or {}
    tensors = {}
    for key, entry in header.items():
        dtype = entry.get("dtype") if isinstance(entry, dict) else None
        if dtype not in _DTYPES:
            raise bad(f'tensor "{key}" has dtype {dtype!r}; F32 and F16 are read.')
        shape = entry.get("shape")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise bad(f'tensor "{key}" has shape {shape!r}, not a list of sizes.')
        torch_dtype, size = _DTYPES[dtype]
        count = 1
        for d in shape:
            count *= d
        offsets = entry.get("data_offsets")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(o, int) and o >= 0 for o in offsets)
            or offsets[1] - offsets[0] != count * size
        ):
            raise bad(f'tensor "{key}" has data_offsets {offsets!r}, which do not span its {count} {dtype} values.')
        if offsets[1] > len(body):
            raise bad(f'tensor "{key}" ends at byte {offsets[1]} of the data, but the file holds {len(body)} (truncated?).')
        values = struct.unpack(f"<{count}{'f' if size == 4 else 'e'}", body[offsets[0] : offsets[1]])
        tensors[key] = torch.tensor(values, dtype=torch_dtype).to(torch.float32).reshape(shape)
    return tensors, metadata
