import { DoubleSide, GLSL3, Matrix4, ShaderMaterial, Vector2 } from 'three';

/**
 * Ground-truth passes render into RGBA32F targets, so every value leaves the GPU as an exact
 * float32. Every pass draws both faces, so an open shape (a half torus) shows the same surface in
 * rgb, depth, seg and normals; closed shapes are unaffected.
 */

/** Uniforms shared by every geometry material: the eye's camera one frame ahead, image size. */
export interface GeometryShared {
  nextViewProjection: { value: Matrix4 };
  halfSize: { value: Vector2 };
}

export function geometryShared(): GeometryShared {
  return { nextViewProjection: { value: new Matrix4() }, halfSize: { value: new Vector2() } };
}

/**
 * R = view-space z (metres, forward), G/B = forward optical flow in pixels (x right, y down) from
 * the true motion of this surface point (mesh pose at t and t+1, camera at t and t+1),
 * A = id·2 + diagnostic flag.
 */
export function geometryMaterial(opts: {
  shared: GeometryShared;
  id: number;
  diagnostic: boolean;
}): ShaderMaterial & { uniforms: { nextModel: { value: Matrix4 } } } {
  return new ShaderMaterial({
    glslVersion: GLSL3,
    side: DoubleSide,
    uniforms: {
      nextModel: { value: new Matrix4() },
      nextViewProjection: opts.shared.nextViewProjection,
      halfSize: opts.shared.halfSize,
      code: { value: opts.id * 2 + (opts.diagnostic ? 1 : 0) },
    },
    vertexShader: /* glsl */ `
      uniform mat4 nextModel;
      uniform mat4 nextViewProjection;
      varying float vViewZ;
      varying vec4 vClip;
      varying vec4 vNextClip;
      void main() {
        vec4 mv = modelViewMatrix * vec4(position, 1.0);
        vViewZ = -mv.z;
        vClip = projectionMatrix * mv;
        vNextClip = nextViewProjection * nextModel * vec4(position, 1.0);
        gl_Position = vClip;
      }`,
    fragmentShader: /* glsl */ `
      uniform vec2 halfSize;
      uniform float code;
      varying float vViewZ;
      varying vec4 vClip;
      varying vec4 vNextClip;
      layout(location = 0) out highp vec4 outValue;
      void main() {
        // Clip coordinates are affine in the surface point, so their perspective-correct
        // interpolation is exact; NDC → pixels, and y flipped to the top-down convention.
        vec2 flow = vec2(0.0);
        if (vNextClip.w > 0.0) {
          vec2 d = vNextClip.xy / vNextClip.w - vClip.xy / vClip.w;
          flow = vec2(d.x, -d.y) * halfSize;
        }
        outValue = vec4(vViewZ, flow, code);
      }`,
  }) as ShaderMaterial & { uniforms: { nextModel: { value: Matrix4 } } };
}

/**
 * Unit normal in three's view space (y up, z back), turned towards the camera on back faces.
 * Smooth-shading normals interpolate across a silhouette and can lean away from the viewer there
 * even on a front face (0.02–0.06 % of surface pixels, measured): those are bent towards the
 * viewer until n·v = FACING (0.05 survives int8 rounding), so every stored normal faces the camera.
 */
export function normalMaterial(): ShaderMaterial {
  return new ShaderMaterial({
    glslVersion: GLSL3,
    side: DoubleSide,
    vertexShader: /* glsl */ `
      varying vec3 vNormal;
      varying vec3 vViewPosition;
      void main() {
        vNormal = normalMatrix * normal;
        vec4 mv = modelViewMatrix * vec4(position, 1.0);
        vViewPosition = mv.xyz;
        gl_Position = projectionMatrix * mv;
      }`,
    fragmentShader: /* glsl */ `
      varying vec3 vNormal;
      varying vec3 vViewPosition;
      layout(location = 0) out highp vec4 outValue;
      const float FACING = 0.05;
      void main() {
        vec3 n = normalize(vNormal);
        n = gl_FrontFacing ? n : -n;
        vec3 toCamera = normalize(-vViewPosition);
        float c = dot(n, toCamera);
        if (c < FACING) n = normalize(n + (FACING - c) * toCamera);
        outValue = vec4(n, 1.0);
      }`,
  });
}
