// NICE's additive coupling on flattened images (Dinh et al. 2014), forward, inverse and backward
// side by side. Twin: src/models/image-flows/nice-reference.ts. Coupling l with parity p splits
// each row of D values into the conditioning half x_a[k] = x[2k + p] and the transformed half
// x_b[k] = x[2k + 1 − p], k = 0 … D/2 − 1, and maps
//   forward   y_b = x_b + m(x_a),  y_a = x_a        (log|det| = 0)
//   inverse   x_b = y_b − m(y_a)
//   backward  dL/dm = dL/dy_b;  dL/dx_a = dL/dy_a + (∂m/∂x_a)ᵀ dL/dm;  dL/dx_b = dL/dy_b
// The conditioner m is a stack of dense layers (nn/dense.wgsl) between take_* and coupling_*.
// Rows are updated in place; one invocation per (row, k): no two invocations touch one value.

struct CouplingUniforms {
  batch: u32,
  dims: u32,
  // p: the conditioning half holds the values of parity p.
  parity: u32,
  pad0: u32,
}

@group(0) @binding(0) var<uniform> u: CouplingUniforms;
@group(0) @binding(1) var<storage, read> from_values: array<f32>;
@group(0) @binding(2) var<storage, read_write> to_values: array<f32>;

fn half_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * {{WORKGROUP_SIZE}}u;
}

// Position of value k of the half with parity `parity` in row b of the full rows.
fn full_index(i: u32, parity: u32) -> u32 {
  let half = u.dims / 2u;
  let b = i / half;
  let k = i % half;
  return b * u.dims + 2u * k + parity;
}

// Forward and inverse: the conditioner's input x_a (batch × D/2) from the rows.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn take_conditioning(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = half_index(gid, groups);
  if (i >= u.batch * (u.dims / 2u)) { return; }
  to_values[i] = from_values[full_index(i, u.parity)];
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn coupling_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = half_index(gid, groups);
  if (i >= u.batch * (u.dims / 2u)) { return; }
  let j = full_index(i, 1u - u.parity);
  to_values[j] = to_values[j] + from_values[i];
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn coupling_inverse(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = half_index(gid, groups);
  if (i >= u.batch * (u.dims / 2u)) { return; }
  let j = full_index(i, 1u - u.parity);
  to_values[j] = to_values[j] - from_values[i];
}

// Backward, first: dL/dm (batch × D/2) = dL/dy_b, from the rows of dL/dy.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn take_transformed(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = half_index(gid, groups);
  if (i >= u.batch * (u.dims / 2u)) { return; }
  to_values[i] = from_values[full_index(i, 1u - u.parity)];
}

// Backward, last: dL/dx_a += (∂m/∂x_a)ᵀ dL/dm (the conditioner's dL/dx), in the rows of dL/dy.
@compute @workgroup_size({{WORKGROUP_SIZE}})
fn coupling_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = half_index(gid, groups);
  if (i >= u.batch * (u.dims / 2u)) { return; }
  let j = full_index(i, u.parity);
  to_values[j] = to_values[j] + from_values[i];
}
