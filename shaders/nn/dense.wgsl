// One dense layer y = f(W x + b), one sample per invocation: the unfused building block (and
// the reference the fused MLP is tested against). Same bindings as nn/mlp.wgsl.
// Cache (from u.cache_offset): z (batch × OUT), then δ = dL/dz (batch × OUT).
// Weight gradients: nn/outer-grad.wgsl with A_FROM_INPUT on this layer's input and δ.

struct DenseUniforms {
  batch: u32,
  param_offset: u32,
  input_offset: u32,
  output_offset: u32,
  cache_offset: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

const IN: u32 = {{IN}};
const OUT: u32 = {{OUT}};
const ACTIVATION: u32 = {{ACTIVATION}};

@group(0) @binding(0) var<uniform> u: DenseUniforms;
@group(0) @binding(1) var<storage, read> params: array<f32>;
// forward: x; backward: dL/dy.
@group(0) @binding(2) var<storage, read> layer_in: array<f32>;
// forward: y; backward: dL/dx.
@group(0) @binding(3) var<storage, read_write> layer_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> cache: array<f32>;

fn sample_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  for (var o = 0u; o < OUT; o++) {
    var z = params[u.param_offset + IN * OUT + o];
    for (var j = 0u; j < IN; j++) {
      z += params[u.param_offset + o * IN + j] * layer_in[u.input_offset + b * IN + j];
    }
    cache[u.cache_offset + b * OUT + o] = z;
    layer_out[u.output_offset + b * OUT + o] = act_apply(ACTIVATION, z);
  }
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = sample_index(gid, groups);
  if (b >= u.batch) { return; }
  let deltas = u.cache_offset + u.batch * OUT;
  for (var o = 0u; o < OUT; o++) {
    let z = cache[u.cache_offset + b * OUT + o];
    cache[deltas + b * OUT + o] = layer_in[u.output_offset + b * OUT + o] * act_grad(ACTIVATION, z);
  }
  for (var j = 0u; j < IN; j++) {
    var g = 0.0;
    for (var o = 0u; o < OUT; o++) {
      g += params[u.param_offset + o * IN + j] * cache[deltas + b * OUT + o];
    }
    layer_out[u.input_offset + b * IN + j] = g;
  }
}
