// Evaluates Philox4x32-10 on explicit (counter, key) pairs: the known-answer check of the GPU
// implementation against Random123's published vectors.

struct PhiloxInput {
  counter: vec4<u32>,
  key: vec2<u32>,
  pad: vec2<u32>,
}

@group(0) @binding(0) var<storage, read> inputs: array<PhiloxInput>;
@group(0) @binding(1) var<storage, read_write> outputs: array<vec4<u32>>;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= arrayLength(&inputs)) { return; }
  outputs[i] = philox4x32_10(inputs[i].counter, inputs[i].key);
}
