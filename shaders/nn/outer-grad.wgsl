// Weight and bias gradients of one linear layer, as a fixed-order reduction (no atomics):
//   dW[o, j] = Σ_b δ[b, o] · a[b, j],   db[o] = Σ_b δ[b, o]
// Each invocation owns a TILE × TILE block of [OUT rows × (IN + 1) columns] (column IN is the
// bias) and one chunk of the batch, and loops over that chunk's samples in order. Chunk c writes
// its partial sum to grads[c · grad_stride + …]; the optimizer adds the chunks in order, so the
// result does not depend on scheduling.
// a is the layer input: read from `input` (A_FROM_INPUT) or act(z) from the MLP cache.

struct OuterUniforms {
  batch: u32,
  chunk_size: u32,
  a_offset: u32,
  delta_offset: u32,
  // Where W of this layer sits in the flat parameter/gradient buffer.
  weight_offset: u32,
  // Floats between two chunks' partial gradients (the model's parameter count).
  grad_stride: u32,
  pad0: u32,
  pad1: u32,
}

const LIN: u32 = {{LIN}};
const LOUT: u32 = {{LOUT}};
const T: u32 = {{TILE}};
const A_FROM_INPUT: bool = {{A_FROM_INPUT}};
const ACTIVATION: u32 = {{ACTIVATION}};
// Floats between consecutive samples' inputs a (> LIN when a is part of wider rows).
const A_STRIDE: u32 = {{A_STRIDE}};
const COLS: u32 = (LIN + 1u + T - 1u) / T;
const ROWS: u32 = (LOUT + T - 1u) / T;

@group(0) @binding(0) var<uniform> u: OuterUniforms;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read> cache: array<f32>;
@group(0) @binding(3) var<storage, read_write> grads: array<f32>;

fn load_a(b: u32, c: u32) -> f32 {
  if (c == LIN) { return 1.0; }
  if (c > LIN) { return 0.0; }
  if (A_FROM_INPUT) { return input[u.a_offset + b * A_STRIDE + c]; }
  return act_apply(ACTIVATION, cache[u.a_offset + b * LIN + c]);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let block = gid.x;
  let chunk = gid.y;
  if (block >= ROWS * COLS) { return; }
  let r0 = (block / COLS) * T;
  let c0 = (block % COLS) * T;
  var acc: array<f32, T * T>;
  for (var i = 0u; i < T * T; i++) { acc[i] = 0.0; }
  let begin = chunk * u.chunk_size;
  let end = min(u.batch, begin + u.chunk_size);
  for (var b = begin; b < end; b++) {
    var d: array<f32, T>;
    var a: array<f32, T>;
    for (var i = 0u; i < T; i++) {
      let row = min(r0 + i, LOUT - 1u);
      d[i] = select(0.0, cache[u.delta_offset + b * LOUT + row], r0 + i < LOUT);
      a[i] = load_a(b, c0 + i);
    }
    for (var i = 0u; i < T; i++) {
      for (var k = 0u; k < T; k++) { acc[i * T + k] += d[i] * a[k]; }
    }
  }
  let base = chunk * u.grad_stride + u.weight_offset;
  for (var i = 0u; i < T; i++) {
    let row = r0 + i;
    if (row >= LOUT) { break; }
    for (var k = 0u; k < T; k++) {
      let col = c0 + k;
      if (col > LIN) { break; }
      let index = select(row * LIN + col, LIN * LOUT + row, col == LIN);
      grads[base + index] = acc[i * T + k];
    }
  }
}
