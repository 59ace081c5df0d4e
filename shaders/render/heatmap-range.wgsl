// The colour range of a heatmap in nats, on the GPU: hi = the largest finite log p, lo = the
// smallest, but at most `clip_nats` below hi (log p → −∞ far from the data would otherwise
// squeeze everything that matters into one colour). One workgroup, fixed order: 64 strided lane
// minima/maxima, then lane 0 combines them.

struct RangeUniforms {
  count: u32,
  clip_nats: f32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> u: RangeUniforms;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> range: array<f32, 4>;

const LARGEST: f32 = 3.4028234e38;

var<workgroup> lane_lo: array<f32, {{WORKGROUP_SIZE}}>;
var<workgroup> lane_hi: array<f32, {{WORKGROUP_SIZE}}>;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(local_invocation_index) lane: u32) {
  var lo = LARGEST;
  var hi = -LARGEST;
  for (var i = lane; i < u.count; i += {{WORKGROUP_SIZE}}u) {
    let v = values[i];
    if (abs(v) <= LARGEST) {
      lo = min(lo, v);
      hi = max(hi, v);
    }
  }
  lane_lo[lane] = lo;
  lane_hi[lane] = hi;
  workgroupBarrier();
  if (lane != 0u) {
    return;
  }
  for (var i = 1u; i < {{WORKGROUP_SIZE}}u; i++) {
    lo = min(lo, lane_lo[i]);
    hi = max(hi, lane_hi[i]);
  }
  if (hi < lo) {
    // Nothing finite: say so, and let the heatmap draw nothing.
    range[0] = 0.0;
    range[1] = 1.0;
    range[2] = 0.0;
    return;
  }
  let bottom = max(lo, hi - u.clip_nats);
  range[0] = bottom;
  // A flat density still gets a non-empty range.
  range[1] = max(hi, bottom + 1e-3);
  range[2] = 1.0;
  range[3] = lo;
}
