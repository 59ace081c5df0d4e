// Activation functions and their derivatives with respect to the pre-activation z.
// Kinds (keep in sync with src/nn/activations.ts): 0 identity, 1 relu, 2 leaky relu (0.01),
// 3 tanh, 4 silu, 5 gelu (tanh approximation), 6 softplus.
// Kernels pass a compile-time constant kind, so the switch folds away.

fn act_sigmoid(z: f32) -> f32 {
  // Stable for both signs: exp of a non-positive number never overflows.
  let e = exp(-abs(z));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0);
}

fn act_tanh(z: f32) -> f32 {
  // Clamped: some tanh implementations return NaN for |z| > ~44 (inf / inf).
  return tanh(clamp(z, -15.0, 15.0));
}

const GELU_C: f32 = 0.7978845608028654; // sqrt(2 / pi)
const GELU_A: f32 = 0.044715;

fn act_apply(kind: u32, z: f32) -> f32 {
  switch (kind) {
    case 1u: { return max(z, 0.0); }
    case 2u: { return select(0.01 * z, z, z > 0.0); }
    case 3u: { return act_tanh(z); }
    case 4u: { return z * act_sigmoid(z); }
    case 5u: { return 0.5 * z * (1.0 + act_tanh(GELU_C * (z + GELU_A * z * z * z))); }
    case 6u: { return max(z, 0.0) + log(1.0 + exp(-abs(z))); }
    default: { return z; }
  }
}

fn act_grad(kind: u32, z: f32) -> f32 {
  switch (kind) {
    case 1u: { return select(0.0, 1.0, z > 0.0); }
    case 2u: { return select(0.01, 1.0, z > 0.0); }
    case 3u: { let t = act_tanh(z); return 1.0 - t * t; }
    case 4u: { let s = act_sigmoid(z); return s * (1.0 + z * (1.0 - s)); }
    case 5u: {
      let t = act_tanh(GELU_C * (z + GELU_A * z * z * z));
      return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * GELU_A * z * z);
    }
    case 6u: { return act_sigmoid(z); }
    default: { return 1.0; }
  }
}
