"""Philox4x32-10, bit-identical to src/rng/philox.ts, so that initial weights and the LU layers'
fixed rotations are the playground's own (a model is a pure function of its spec and seed)."""

import math

M0 = 0xD2511F53
M1 = 0xCD9E8D57
W0 = 0x9E3779B9
W1 = 0xBB67AE85
MASK = 0xFFFFFFFF


def philox4x32_10(counter, key):
    c0, c1, c2, c3 = (int(c) & MASK for c in counter)
    k0, k1 = key
    for _ in range(10):
        p0 = M0 * c0
        p1 = M1 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0) & MASK, p1 & MASK, ((p0 >> 32) ^ c3 ^ k1) & MASK, p0 & MASK
        k0 = (k0 + W0) & MASK
        k1 = (k1 + W1) & MASK
    return c0, c1, c2, c3


def seed_key(seed):
    if not isinstance(seed, int) or seed < 0 or seed >= 2**53:
        raise ValueError(f"A seed must be an integer in [0, 2^53), got {seed!r}.")
    return seed & MASK, (seed >> 32) & MASK


def _float32(x):
    import struct

    return struct.unpack("<f", struct.pack("<f", x))[0]


def unit_from_bits(bits):
    """Top 24 bits to (0, 1), as philox_unit in WGSL (exact in float32)."""
    return _float32(((bits >> 8) + 0.5) * (1 / 16777216))


def uniform4(counter, key):
    return [unit_from_bits(b) for b in philox4x32_10(counter, key)]


def normal4(counter, key):
    u0, u1, u2, u3 = uniform4(counter, key)
    r0 = math.sqrt(-2 * math.log(u0))
    r1 = math.sqrt(-2 * math.log(u2))
    a0 = 2 * math.pi * u1
    a1 = 2 * math.pi * u3
    return [r0 * math.cos(a0), r0 * math.sin(a0), r1 * math.cos(a1), r1 * math.sin(a1)]
