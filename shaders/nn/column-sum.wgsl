// Parameter gradients of small layers: sums the first COLUMNS per-sample contributions (rows of
// `contrib`, ROW_STRIDE wide) over the batch in a fixed order, one invocation per column, into the first
// gradient chunk. Deterministic without atomics.

struct ColumnSumUniforms {
  batch: u32,
  grad_offset: u32,
  pad0: u32,
  pad1: u32,
}

const COLUMNS: u32 = {{COLUMNS}};
const ROW_STRIDE: u32 = {{ROW_STRIDE}};

@group(0) @binding(0) var<uniform> u: ColumnSumUniforms;
@group(0) @binding(1) var<storage, read> contrib: array<f32>;
@group(0) @binding(2) var<storage, read_write> grads: array<f32>;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= COLUMNS) { return; }
  var sum = 0.0;
  for (var b = 0u; b < u.batch; b++) { sum += contrib[b * ROW_STRIDE + c]; }
  grads[u.grad_offset + c] = sum;
}
