// Weight and bias gradients of one linear layer, as a fixed-order reduction (no atomics):
//   dW[o, j] = Σ_b δ[b, o] · a[b, j],   db[o] = Σ_b δ[b, o]
// Each invocation owns an 8 × 8 block of dW (or, in the last block column, the bias of 8 rows)
// and one chunk of the batch, and loops over that chunk's samples in order, accumulating in
// sixteen vec4 registers (an indexed accumulator array was several times slower on SwiftShader).
// On a CPU adapter every load is a per-lane gather, so the block is as large as pays: 8 × 8 does
// 64 multiply-adds per 16 loads where 8 × 4 did 32 per 12. Out-of-range rows and columns load a
// clamped index (no branch in the loop) and are never stored. Chunk c writes its partial sum to
// grads[c · grad_stride + …]; the optimizer adds the chunks in order, so the result does not
// depend on scheduling.
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
const COLS_PER_BLOCK: u32 = 8u;
// Block columns of W, then one block column for the bias.
const WEIGHT_COLS: u32 = (LIN + COLS_PER_BLOCK - 1u) / COLS_PER_BLOCK;
const COLS: u32 = WEIGHT_COLS + 1u;
const ROWS: u32 = (LOUT + ROWS_PER_BLOCK - 1u) / ROWS_PER_BLOCK;

@group(0) @binding(0) var<uniform> u: OuterUniforms;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read> cache: array<f32>;
@group(0) @binding(3) var<storage, read_write> grads: array<f32>;

fn load_a(b: u32, c: u32) -> f32 {
  let col = min(c, LIN - 1u);
  if (A_FROM_INPUT) { return input[u.a_offset + b * A_STRIDE + col]; }
  return act_apply(ACTIVATION, cache[u.a_offset + b * LIN + col]);
}

fn load_a4(b: u32, c0: u32) -> vec4<f32> {
  return vec4<f32>(load_a(b, c0), load_a(b, c0 + 1u), load_a(b, c0 + 2u), load_a(b, c0 + 3u));
}

fn load_delta(b: u32, row: u32) -> f32 {
  return cache[u.delta_offset + b * LOUT + min(row, LOUT - 1u)];
}

fn load_delta4(b: u32, r0: u32) -> vec4<f32> {
  return vec4<f32>(load_delta(b, r0), load_delta(b, r0 + 1u), load_delta(b, r0 + 2u), load_delta(b, r0 + 3u));
}

fn store_weights(chunk: u32, row: u32, c0: u32, lo: vec4<f32>, hi: vec4<f32>) {
  if (row >= LOUT) { return; }
  let base = chunk * u.grad_stride + u.weight_offset + row * LIN;
  for (var k = 0u; k < COLS_PER_BLOCK; k++) {
    let col = c0 + k;
    if (col >= LIN) { return; }
    grads[base + col] = select(hi[k & 3u], lo[k & 3u], k < 4u);
  }
}

fn store_bias(chunk: u32, r0: u32, acc: vec4<f32>) {
  let base = chunk * u.grad_stride + u.weight_offset + LIN * LOUT;
  for (var k = 0u; k < 4u; k++) {
    if (r0 + k < LOUT) { grads[base + r0 + k] = acc[k]; }
  }
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let block = gid.x;
  let chunk = gid.y;
  if (block >= ROWS * COLS) { return; }
  let r0 = (block / COLS) * ROWS_PER_BLOCK;
  let column_block = block % COLS;
  let begin = chunk * u.chunk_size;
  let end = min(u.batch, begin + u.chunk_size);
  if (column_block == WEIGHT_COLS) {
    var bias0 = vec4<f32>(0.0);
    var bias1 = vec4<f32>(0.0);
    for (var b = begin; b < end; b++) {
      bias0 += load_delta4(b, r0);
      bias1 += load_delta4(b, r0 + 4u);
    }
    store_bias(chunk, r0, bias0);
    store_bias(chunk, r0 + 4u, bias1);
    return;
  }
  let c0 = column_block * COLS_PER_BLOCK;
  // acc{r}{lo,hi}: row r0 + r, columns c0 .. c0 + 3 and c0 + 4 .. c0 + 7.
  var acc0l = vec4<f32>(0.0); var acc0h = vec4<f32>(0.0);
  var acc1l = vec4<f32>(0.0); var acc1h = vec4<f32>(0.0);
  var acc2l = vec4<f32>(0.0); var acc2h = vec4<f32>(0.0);
  var acc3l = vec4<f32>(0.0); var acc3h = vec4<f32>(0.0);
  var acc4l = vec4<f32>(0.0); var acc4h = vec4<f32>(0.0);
  var acc5l = vec4<f32>(0.0); var acc5h = vec4<f32>(0.0);
  var acc6l = vec4<f32>(0.0); var acc6h = vec4<f32>(0.0);
  var acc7l = vec4<f32>(0.0); var acc7h = vec4<f32>(0.0);
  for (var b = begin; b < end; b++) {
    let al = load_a4(b, c0);
    let ah = load_a4(b, c0 + 4u);
    let d0 = load_delta4(b, r0);
    let d1 = load_delta4(b, r0 + 4u);
    acc0l += d0.x * al; acc0h += d0.x * ah;
    acc1l += d0.y * al; acc1h += d0.y * ah;
    acc2l += d0.z * al; acc2h += d0.z * ah;
    acc3l += d0.w * al; acc3h += d0.w * ah;
    acc4l += d1.x * al; acc4h += d1.x * ah;
    acc5l += d1.y * al; acc5h += d1.y * ah;
    acc6l += d1.z * al; acc6h += d1.z * ah;
    acc7l += d1.w * al; acc7h += d1.w * ah;
  }
  store_weights(chunk, r0, c0, acc0l, acc0h);
  store_weights(chunk, r0 + 1u, c0, acc1l, acc1h);
  store_weights(chunk, r0 + 2u, c0, acc2l, acc2h);
  store_weights(chunk, r0 + 3u, c0, acc3l, acc3h);
  store_weights(chunk, r0 + 4u, c0, acc4l, acc4h);
  store_weights(chunk, r0 + 5u, c0, acc5l, acc5h);
  store_weights(chunk, r0 + 6u, c0, acc6l, acc6h);
  store_weights(chunk, r0 + 7u, c0, acc7l, acc7h);
}
