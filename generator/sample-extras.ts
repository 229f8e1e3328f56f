/**
 * Sample members computed from the scene record alone (no rendering): the self-motion signals
 * `<key>.motion.npy` and the caption `<key>.txt`. Also their description for manifest.json.
 */
import { encodeNpy, ndarray } from '../output/index.ts';
import { captionScene, MOTION_COLUMNS, motionSignals, type SceneRecord } from '../scenes/index.ts';

export const MOTION_MEMBER = 'motion.npy';
export const CAPTION_MEMBER = 'txt';
/** Member names after the key, in the order they are written. */
export const EXTRA_MEMBERS = [MOTION_MEMBER, CAPTION_MEMBER] as const;

/** The extra members of one sample (float64 signals stored as float32). */
export function sampleExtras(rec: SceneRecord): { name: string; data: Buffer }[] {
  const m = motionSignals(rec);
  const values = Float32Array.from(m.data);
  return [
    {
      name: MOTION_MEMBER,
      data: encodeNpy(ndarray('float32', [m.frames, m.columns.length], values)),
    },
    { name: CAPTION_MEMBER, data: Buffer.from(`${captionScene(rec).text}\n`, 'utf8') },
  ];
}

/** What manifest.json says about the extra members (a public contract, like the layer table). */
export function extrasManifest(frames: number) {
  return {
    motion: {
      member: MOTION_MEMBER,
      dtype: 'float32',
      shape: [frames, MOTION_COLUMNS.length],
      columns: MOTION_COLUMNS.map((c) => ({ ...c })),
      head_frame:
        'cyclopean: origin midway between the left and right camera centres, axes of the cameras (OpenCV: x right, y down, z forward); world_from_head rotation = that of world_from_camera.left[t]',
      time: 'row t is frame t (time t / fps)',
      differences:
        'central differences at the frame rate, one-sided at the first and last frame (np.gradient(x, 1/fps)); velocity from positions, acceleration from velocity (world frame, then rotated into the head frame of the same frame)',
      rotations:
        'angular velocity from consecutive rotations by the log map (never Euler angles): inc_k = log(R_k^T R_{k+1}) (body frame); head_angvel[t] = fps/2 * (inc_{t-1} + inc_t), fps * inc_0 at t = 0, fps * inc_{T-2} at t = T-1; invert exactly with inc_0 = w_0/fps, inc_t = 2 w_t/fps - inc_{t-1}, R_{t+1} = R_t exp(inc_t)',
      gravity: 'world gravity is 9.80665 m/s^2 along -y; head_acc excludes it',
    },
    caption: {
      member: CAPTION_MEMBER,
      encoding: 'utf-8, one line ending in a newline',
      description:
        "a short templated description from the scene record: up to 3 objects (category, body colour and pattern colour as the nearest of 12 basic colour terms in CIELAB, motion with its direction in the camera's view at mid-sequence), the further objects counted, the ground or room, the camera's motion; glTF assets are named without colours; phrasing is seeded by (dataset seed, sequence index)",
    },
  };
}
