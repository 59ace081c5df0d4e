// A density heatmap: log p on a grid of cell centres (row 0 at the bottom, yMin), bilinearly
// interpolated at every pixel and mapped through a perceptually uniform colour map. The range
// [lo, hi] in nats comes from heatmap-range.wgsl on the GPU, so drawing never waits for a
// readback. Pixels outside the grid stay transparent (the view moved since the grid was made).

struct Heatmap {
  // Data coordinates of the grid's outer corners.
  grid_min: vec2<f32>,
  grid_max: vec2<f32>,
  // Cells along x and y.
  size: vec2<u32>,
  pad: vec2<u32>,
}

@group(0) @binding(0) var<uniform> view: View;
@group(0) @binding(1) var<uniform> heat: Heatmap;
@group(0) @binding(2) var<storage, read> values: array<f32>;
// lo, hi (nats) and 1 when the grid held any finite value.
@group(0) @binding(3) var<storage, read> range: array<f32, 4>;
@group(0) @binding(4) var<uniform> colormap: array<vec4<f32>, {{COLORMAP_STOPS}}>;

@vertex
fn vs(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {
  // One triangle that covers the whole target.
  let corner = vec2<f32>(f32((index << 1u) & 2u), f32(index & 2u));
  return vec4<f32>(corner * 2.0 - 1.0, 0.0, 1.0);
}

fn value_at(cell: vec2<i32>) -> f32 {
  let c = clamp(cell, vec2<i32>(0), vec2<i32>(heat.size) - 1);
  let v = values[u32(c.y) * heat.size.x + u32(c.x)];
  // −∞ (no mass) and NaN draw as the bottom of the range.
  return select(range[0], v, abs(v) <= 3.4028234e38);
}

fn color_of(t: f32) -> vec3<f32> {
  let x = clamp(t, 0.0, 1.0) * f32({{COLORMAP_STOPS}} - 1);
  let k = min(u32(floor(x)), u32({{COLORMAP_STOPS}} - 2));
  return mix(colormap[k].rgb, colormap[k + 1u].rgb, x - f32(k));
}

@fragment
fn fs(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
  if (range[2] < 0.5) {
    return vec4<f32>(0.0);
  }
  let clip = vec2<f32>(position.x / view.viewport.x * 2.0 - 1.0, 1.0 - position.y / view.viewport.y * 2.0);
  let point = (clip - view.offset) / view.scale;
  let unit = (point - heat.grid_min) / (heat.grid_max - heat.grid_min);
  if (any(unit < vec2<f32>(0.0)) || any(unit > vec2<f32>(1.0))) {
    return vec4<f32>(0.0);
  }
  // Cell centres sit at (i + ½): interpolate between the four nearest.
  let g = unit * vec2<f32>(heat.size) - 0.5;
  let base = vec2<i32>(floor(g));
  let f = g - floor(g);
  let bottom = mix(value_at(base), value_at(base + vec2<i32>(1, 0)), f.x);
  let top = mix(value_at(base + vec2<i32>(0, 1)), value_at(base + vec2<i32>(1, 1)), f.x);
  let v = mix(bottom, top, f.y);
  let t = (v - range[0]) / max(range[1] - range[0], 1e-6);
  return vec4<f32>(color_of(t), 1.0);
}
