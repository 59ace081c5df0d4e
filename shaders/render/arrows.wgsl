// A vector field as arrows: arrow i is centred on arrows[i].xy (data coordinates) and spans
// arrows[i].zw · length_scale (data units), so it stays inside its grid cell and lengths are proportional to the magnitude with
// one scale for the whole field (the legend shows it). Nine vertices per arrow from
// vertex_index alone: a shaft quad (six) and a head triangle (three), sized in device pixels.

struct Arrows {
  // Data units of arrow per unit of the field's magnitude.
  length_scale: f32,
  width_px: f32,
  head_px: f32,
  pad0: f32,
  // Straight RGBA.
  color: vec4<f32>,
}

@group(0) @binding(0) var<uniform> view: View;
@group(0) @binding(1) var<uniform> style: Arrows;
@group(0) @binding(2) var<storage, read> arrows: array<vec4<f32>>;

struct VertexOut {
  @builtin(position) position: vec4<f32>,
  @location(0) color: vec4<f32>,
}

@vertex
fn vs(@builtin(vertex_index) index: u32) -> VertexOut {
  var out: VertexOut;
  out.color = vec4<f32>(style.color.rgb * style.color.a, style.color.a);
  let arrow = arrows[index / 9u];
  let corner = index % 9u;
  let half = 0.5 * arrow.zw * style.length_scale;
  let tail_data = arrow.xy - half;
  let tip_data = arrow.xy + half;
  if (!is_finite2(tail_data) || !is_finite2(tip_data)) {
    out.position = OUTSIDE_CLIP;
    return out;
  }
  let a = to_clip(view, tail_data);
  let b = to_clip(view, tip_data);
  // Work in device pixels: the head and the width look the same whatever the direction.
  let along = (b - a) * view.viewport * 0.5;
  let length_px = length(along);
  if (length_px < 0.5) {
    out.position = OUTSIDE_CLIP;
    return out;
  }
  let tangent = along / length_px;
  let normal = vec2<f32>(-tangent.y, tangent.x);
  // The head takes at most half the arrow, so short arrows keep a visible direction.
  let head = min(style.head_px, 0.5 * length_px);
  let neck = length_px - head;
  var px = vec2<f32>(0.0);
  if (corner < 6u) {
    let at_neck = corner == 1u || corner == 4u || corner == 5u;
    let side = select(-0.5, 0.5, corner == 2u || corner == 3u || corner == 5u);
    px = tangent * select(0.0, neck, at_neck) + normal * side * style.width_px;
  } else if (corner == 6u) {
    px = tangent * neck - normal * 0.5 * head;
  } else if (corner == 7u) {
    px = tangent * length_px;
  } else {
    px = tangent * neck + normal * 0.5 * head;
  }
  out.position = vec4<f32>(a + px * 2.0 / view.viewport, 0.0, 1.0);
  return out;
}

@fragment
fn fs(in: VertexOut) -> @location(0) vec4<f32> {
  return in.color;
}
