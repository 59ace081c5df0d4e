// A point cloud drawn straight from a GPU storage buffer of (x, y) pairs in data coordinates.
// No instancing (CPU rasterisers such as SwiftShader run every instance as its own small draw,
// ~30 µs each): `vs_quad` pulls point ⌊i/6⌋ for vertex i and builds a quad of `size_px` device
// pixels from two triangles, round when big enough for roundness to show; `vs_pixel` draws one
// vertex per point as a point-list, for points of a pixel or less. Colour is premultiplied for
// alpha blending, so dense regions build up and a million points read as a density.

struct PointStyle {
  // Straight (not premultiplied) RGBA.
  color: vec4<f32>,
  size_px: f32,
  // 1 to cut the quad to a disc, 0 for square pixels.
  round: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> view: View;
@group(0) @binding(1) var<uniform> style: PointStyle;
@group(0) @binding(2) var<storage, read> points: array<vec2<f32>>;

struct VertexOut {
  @builtin(position) position: vec4<f32>,
  // Position within the quad, −1…1 on both axes (0 for pixel points).
  @location(0) corner: vec2<f32>,
}

@vertex
fn vs_quad(@builtin(vertex_index) index: u32) -> VertexOut {
  var out: VertexOut;
  let point = points[index / 6u];
  // Triangles (−−, +−, −+) and (−+, +−, ++).
  let k = index % 6u;
  let corner = vec2<f32>(
    select(-1.0, 1.0, k == 1u || k == 4u || k == 5u),
    select(-1.0, 1.0, k == 2u || k == 3u || k == 5u),
  );
  out.corner = corner;
  if (!is_finite2(point)) {
    out.position = OUTSIDE_CLIP;
    return out;
  }
  // Half the size in clip units: one device pixel is 2 / viewport clip units.
  let half_size = vec2<f32>(style.size_px) / view.viewport;
  out.position = vec4<f32>(to_clip(view, point) + corner * half_size, 0.0, 1.0);
  return out;
}

@vertex
fn vs_pixel(@builtin(vertex_index) index: u32) -> VertexOut {
  var out: VertexOut;
  let point = points[index];
  out.corner = vec2<f32>(0.0);
  out.position = select(OUTSIDE_CLIP, vec4<f32>(to_clip(view, point), 0.0, 1.0), is_finite2(point));
  return out;
}

@fragment
fn fs(in: VertexOut) -> @location(0) vec4<f32> {
  if (style.round == 1u && dot(in.corner, in.corner) > 1.0) {
    discard;
  }
  return vec4<f32>(style.color.rgb * style.color.a, style.color.a);
}
