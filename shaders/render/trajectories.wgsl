// Sample paths through time (diffusion / flow matching: steps of the sampler; flows: layers),
// drawn straight from the buffer of frames the sampler recorded: frame f of path i is
// frames[f · path_count + i], frame 0 at the noise end. Every segment is a quad `width_px`
// device pixels wide built from vertex_index alone (no instancing: a CPU rasteriser runs each
// instance as its own draw); `vs_line` draws paths of a device pixel as a line-list, two
// vertices per segment instead of six. `end_frame` (fractional) cuts the paths for the time scrubber:
// segments past it vanish, the one it falls in ends part-way.

struct Paths {
  path_count: u32,
  frame_count: u32,
  pad0: u32,
  pad1: u32,
  // Straight RGBA.
  color: vec4<f32>,
  end_frame: f32,
  width_px: f32,
  pad2: f32,
  pad3: f32,
}

@group(0) @binding(0) var<uniform> view: View;
@group(0) @binding(1) var<uniform> paths: Paths;
@group(0) @binding(2) var<storage, read> frames: array<vec2<f32>>;

struct VertexOut {
  @builtin(position) position: vec4<f32>,
  @location(0) color: vec4<f32>,
}

@vertex
fn vs(@builtin(vertex_index) index: u32) -> VertexOut {
  var out: VertexOut;
  out.color = vec4<f32>(paths.color.rgb * paths.color.a, paths.color.a);
  // Vertices run segment-major, so the segments of one step are adjacent in memory.
  let item = index / 6u;
  let corner = index % 6u;
  let segment = item / paths.path_count;
  let path = item % paths.path_count;
  let start = f32(segment);
  if (start >= paths.end_frame) {
    out.position = OUTSIDE_CLIP;
    return out;
  }
  let p0 = frames[segment * paths.path_count + path];
  let next = frames[(segment + 1u) * paths.path_count + path];
  let p1 = mix(p0, next, min(1.0, paths.end_frame - start));
  if (!is_finite2(p0) || !is_finite2(p1)) {
    out.position = OUTSIDE_CLIP;
    return out;
  }
  let a = to_clip(view, p0);
  let b = to_clip(view, p1);
  let along = (b - a) * view.viewport;
  let length_px = length(along);
  var normal = vec2<f32>(0.0, 1.0);
  var tangent = vec2<f32>(1.0, 0.0);
  if (length_px > 1e-6) {
    tangent = along / length_px;
    normal = vec2<f32>(-tangent.y, tangent.x);
  }
  // Two triangles (a−, b−, a+), (a+, b−, b+); ends pushed out by half a width so consecutive
  // segments of a bending path overlap instead of leaving a notch.
  let at_b = corner == 1u || corner == 4u || corner == 5u;
  let side = select(-1.0, 1.0, corner == 2u || corner == 3u || corner == 5u);
  let end = select(a, b, at_b);
  let cap = tangent * select(-0.5, 0.5, at_b);
  let offset = (normal * side + cap) * paths.width_px / view.viewport;
  out.position = vec4<f32>(end + offset, 0.0, 1.0);
  return out;
}

@vertex
fn vs_line(@builtin(vertex_index) index: u32) -> VertexOut {
  var out: VertexOut;
  out.color = vec4<f32>(paths.color.rgb * paths.color.a, paths.color.a);
  let item = index / 2u;
  let segment = item / paths.path_count;
  let path = item % paths.path_count;
  let start = f32(segment);
  let p0 = frames[segment * paths.path_count + path];
  let next = frames[(segment + 1u) * paths.path_count + path];
  let p1 = mix(p0, next, min(1.0, paths.end_frame - start));
  if (start >= paths.end_frame || !is_finite2(p0) || !is_finite2(p1)) {
    out.position = OUTSIDE_CLIP;
    return out;
  }
  out.position = vec4<f32>(to_clip(view, select(p0, p1, index % 2u == 1u)), 0.0, 1.0);
  return out;
}

@fragment
fn fs(in: VertexOut) -> @location(0) vec4<f32> {
  return in.color;
}
