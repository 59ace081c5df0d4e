// Weight and bias gradients of one linear layer, as a fixed-order reduction (no atomics):
//   dW[o, j] = Σ_b δ[b, o] · a[b, j],   db[o] = Σ_b δ[b, o]
// Each invocation owns an 8 × 4 block of [OUT rows × (IN + 1) columns] (column IN is the bias)
// and one chunk of the batch, and loops over that chunk's samples in order, accumulating in
// eight vec4 registers (an indexed accumulator array was several times slower on SwiftShader). Chunk c writes
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
const A_FROM_INPUT: bool = {{A_FROM_INPUT}};
const ACTIVATION: u32 = {{ACTIVATION}};
// Floats between consecutive samples' inputs a (> LIN when a is part of wider rows).
const A_STRIDE: u32 = {{A_STRIDE}};
const ROWS_PER_BLOCK: u32 = 8u;
const COLS_PER_BLOCK: u32 = 4u;
const COLS: u32 = (LIN + 1u + COLS_PER_BLOCK - 1u) / COLS_PER_BLOCK;
const ROWS: u32 = (LOUT + ROWS_PER_BLOCK - 1u) / ROWS_PER_BLOCK;

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

fn load_delta(b: u32, row: u32) -> f32 {
  return select(0.0, cache[u.delta_offset + b * LOUT + min(row, LOUT - 1u)], row < LOUT);
}

fn store(chunk: u32, row: u32, c0: u32, acc: vec4<f32>) {
  if (row >= LOUT) { return; }
  let base = chunk * u.grad_stride + u.weight_offset;
  for (var k = 0u; k < COLS_PER_BLOCK; k++) {
    let col = c0 + k;
    if (col > LIN) { return; }
    grads[base + select(row * LIN + col, LIN * LOUT + row, col == LIN)] = acc[k];
  }
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let block = gid.x;
  let chunk = gid.y;
  if (block >= ROWS * COLS) { return; }
  let r0 = (block / COLS) * ROWS_PER_BLOCK;
  let c0 = (block % COLS) * COLS_PER_BLOCK;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var acc4 = vec4<f32>(0.0);
  var acc5 = vec4<f32>(0.0);
  var acc6 = vec4<f32>(0.0);
  var acc7 = vec4<f32>(0.0);
  let begin = chunk * u.chunk_size;
  let end = min(u.batch, begin + u.chunk_size);
  for (var b = begin; b < end; b++) {
    let a = vec4<f32>(load_a(b, c0), load_a(b, c0 + 1u), load_a(b, c0 + 2u), load_a(b, c0 + 3u));
    acc0 += load_delta(b, r0) * a;
    acc1 += load_delta(b, r0 + 1u) * a;
    acc2 += load_delta(b, r0 + 2u) * a;
    acc3 += load_delta(b, r0 + 3u) * a;
    acc4 += load_delta(b, r0 + 4u) * a;
    acc5 += load_delta(b, r0 + 5u) * a;
    acc6 += load_delta(b, r0 + 6u) * a;
    acc7 += load_delta(b, r0 + 7u) * a;
  }
  store(chunk, r0, c0, acc0);
  store(chunk, r0 + 1u, c0, acc1);
  store(chunk, r0 + 2u, c0, acc2);
  store(chunk, r0 + 3u, c0, acc3);
  store(chunk, r0 + 4u, c0, acc4);
  store(chunk, r0 + 5u, c0, acc5);
  store(chunk, r0 + 6u, c0, acc6);
  store(chunk, r0 + 7u, c0, acc7);
}
