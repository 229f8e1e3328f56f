/**
 * A short, true, templated caption of a sequence, built only from its scene record: "a red
 * quadruped with yellow stripes walks left across grass while the camera circles to the right".
 * Objects are named by category, colours by the nearest basic colour term (CIELAB distance) of the
 * material's sRGB colour, motion directions in the camera's view at mid-sequence. Phrasing (which
 * synonym, which word order) is drawn from a seeded stream, so a record always gets the same caption.
 */
import { Rng } from '../core/index.ts';
import { applyTransposed, rotationOf } from './matrix.ts';
import { motionSignals } from './motion.ts';
import type { MaterialRecord, ObjectRecord, SceneRecord, Vec3 } from './types.ts';

/** Basic colour terms (Berlin & Kay's eleven, plus cyan) with a typical sRGB value each. */
export const COLOUR_NAMES: readonly { name: string; hex: string }[] = [
  { name: 'red', hex: '#c81e1e' },
  { name: 'orange', hex: '#eb8214' },
  { name: 'yellow', hex: '#ebd21e' },
  { name: 'green', hex: '#329632' },
  { name: 'cyan', hex: '#1eb4be' },
  { name: 'blue', hex: '#2846c8' },
  { name: 'purple', hex: '#8232aa' },
  { name: 'pink', hex: '#f08cbe' },
  { name: 'brown', hex: '#825028' },
  { name: 'black', hex: '#141414' },
  { name: 'grey', hex: '#8c8c8c' },
  { name: 'white', hex: '#f5f5f5' },
];

/** At most this many objects are described one by one; the rest are counted. */
export const MAX_DESCRIBED = 3;

function srgbToLab(hex: string): Vec3 {
  const v = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const lin = v.map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  const [r, g, b] = lin as Vec3;
  // sRGB → XYZ (D65), normalised by the white point.
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (t * 24389) / 27 / 116 + 16 / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

const PALETTE_LAB = COLOUR_NAMES.map((c) => ({ name: c.name, lab: srgbToLab(c.hex) }));

/** The basic colour term nearest to an sRGB '#rrggbb' colour (Euclidean distance in CIELAB). */
export function colourName(hex: string): string {
  const lab = srgbToLab(hex);
  let best = PALETTE_LAB[0]!;
  let bestD = Infinity;
  for (const p of PALETTE_LAB) {
    const d = Math.hypot(lab[0] - p.lab[0], lab[1] - p.lab[1], lab[2] - p.lab[2]);
    if (d < bestD) [best, bestD] = [p, d];
  }
  return best.name;
}

const PATTERN_NOUN: Record<string, string> = {
  stripes: 'stripes',
  checker: 'checks',
  dots: 'dots',
  noise: 'mottling',
};

const article = (word: string) => (/^[aeiou]/i.test(word) ? 'an' : 'a');

/** What a caption says about one object; also what tests check against the record. */
export interface ObjectMention {
  id: number;
  category: string;
  /** Colour words used for it (body, then pattern), empty for glTF assets (their look is the file's). */
  colours: string[];
  /** e.g. 'walks left', 'stands still'. */
  motion: string;
}

function describeLook(o: ObjectRecord): { text: string; colours: string[] } {
  // A glTF asset wears its own materials; the record's colours would not be what is seen.
  if (o.asset !== undefined) return { text: o.category, colours: [] };
  const m: MaterialRecord = o.materials.primary;
  const body = colourName(m.color);
  const noun = PATTERN_NOUN[m.pattern];
  if (noun === undefined) return { text: `${body} ${o.category}`, colours: [body] };
  const second = colourName(m.pattern_color);
  if (second === body) return { text: `${body} ${o.category}`, colours: [body] };
  return { text: `${body} ${o.category} with ${second} ${noun}`, colours: [body, second] };
}

const MOVE_VERB: Record<string, string> = {
  quadruped: 'walks',
  bird: 'hops',
  vehicle: 'drives',
  airplane: 'taxis',
};

/** A world direction as the camera sees it at frame t: left/right, or towards/away. */
function viewDirection(rec: SceneRecord, t: number, v: Vec3): string {
  const c = applyTransposed(rotationOf(rec.camera.world_from_camera.left[t]!), v);
  if (Math.abs(c[0]) >= Math.abs(c[2])) return c[0] > 0 ? 'right' : 'left';
  return c[2] > 0 ? 'away from the camera' : 'towards the camera';
}

function describeMotion(rec: SceneRecord, o: ObjectRecord, rng: Rng): string {
  const mid = Math.floor((rec.frames - 1) / 2);
  const first = o.poses[0];
  const last = o.poses[o.poses.length - 1];
  const still = rng.pick(['stands still', 'stays put', 'does not move']);
  if (!first || !last) return still;
  const d: Vec3 = [0, 1, 2].map((i) => last.position[i]! - first.position[i]!) as Vec3;
  const horizontal = Math.hypot(d[0], d[2]);
  const moveVerb = MOVE_VERB[o.category] ?? rng.pick(['moves', 'glides']);
  if (o.motion.kind === 'physics') {
    if (-d[1] > 0.05) return rng.pick(['falls', 'drops']) + ' to the ground';
    if (horizontal > 0.05)
      return `${rng.pick(['slides', 'tumbles'])} ${viewDirection(rec, mid, d)}`;
    return rng.pick(['lies still', 'rests on the ground']);
  }
  const moving = o.motion.kind === 'linear' || o.motion.kind === 'linear+spin';
  const turning = o.motion.kind === 'spin' || o.motion.kind === 'linear+spin';
  if (moving && horizontal > 1e-6) {
    const dir = viewDirection(rec, mid, o.motion.velocity);
    return `${turning ? rng.pick(['turns and ', 'spins and ']) : ''}${moveVerb} ${dir}`;
  }
  if (turning) return rng.pick(['turns on the spot', 'spins in place']);
  return still;
}

/** Where it happens: 'on grass', 'in a room with a tiles floor', 'in a captured scene'. */
function describePlace(rec: SceneRecord): string {
  const b = rec.background;
  const ground = groundName(b.name);
  if (b.splat !== undefined) {
    return b.splat.show_ground ? `on ${ground} in a captured scene` : 'in a captured scene';
  }
  if (b.kind === 'room') return `in a room with ${article(ground)} ${ground} floor`;
  return `on ${ground}`;
}

/** 'room-tiles' → 'tiles'. */
const groundName = (name: string) => name.replace(/^room-/, '');

function describeCamera(rec: SceneRecord, rng: Rng): string {
  const kind = rec.camera.trajectory.kind;
  const saccades = rec.camera.gaze.some((g) => g.saccade);
  const glance = saccades
    ? rng.pick([', glancing from object to object', ' and looks around'])
    : '';
  if (kind === 'orbit') {
    // Which way the camera travels in its own view: the sign of its mean sideways velocity.
    const m = motionSignals(rec);
    const C = m.columns.length;
    let vx = 0;
    for (let t = 0; t < m.frames; t++) vx += m.data[t * C]!;
    const side = vx > 0 ? 'right' : 'left';
    return `${rng.pick(['the camera orbits', 'the camera circles'])} to the ${side}${glance}`;
  }
  if (kind === 'walk')
    return `${rng.pick(['the viewer walks past', 'the observer walks by'])}${glance}`;
  // A static rig still turns with head jitter: say where it stands, not that it is still.
  if (kind === 'static')
    return `the camera ${rng.pick(['watches from one spot', 'stands in one place'])}${glance}`;
  return `the camera moves${glance}`;
}

export interface Caption {
  text: string;
  /** The objects named, in caption order, with what was said about them. */
  mentions: ObjectMention[];
  /** Objects present but only counted ("and 2 more objects"). */
  unnamed: number;
}

/** The caption of a scene record; a pure function of the record (its phrasing seed included). */
export function captionScene(rec: SceneRecord): Caption {
  const rng = new Rng(rec.dataset_seed, `caption/${rec.index}`);
  const described = rec.objects.slice(0, MAX_DESCRIBED);
  const mentions: ObjectMention[] = described.map((o) => {
    const look = describeLook(o);
    return {
      id: o.id,
      category: o.category,
      colours: look.colours,
      motion: describeMotion(rec, o, rng.fork(`object/${o.id}`)),
    };
  });
  const phrases = described.map((o, i) => {
    const look = describeLook(o).text;
    return `${article(look)} ${look} ${mentions[i]!.motion}`;
  });
  const unnamed = rec.objects.length - described.length;
  if (unnamed > 0) {
    phrases.push(
      `${unnamed} more object${unnamed === 1 ? ' is' : 's are'} ${rng.pick(['nearby', 'around'])}`,
    );
  }
  const list =
    phrases.length <= 1
      ? (phrases[0] ?? 'there are no objects')
      : `${phrases.slice(0, -1).join(', ')} and ${phrases[phrases.length - 1]!}`;
  let place = describePlace(rec);
  // "walks left across grass" reads right only when the one object moves.
  const alone = mentions.length === 1 && unnamed === 0 ? mentions[0]! : undefined;
  if (alone && /(left|right|camera)$/.test(alone.motion) && place.startsWith('on ')) {
    place = place.replace(/^on/, rng.pick(['across', 'over']));
  }
  const camera = describeCamera(rec, rng.fork('camera'));
  const text = rng
    .fork('order')
    .pick([
      `${place}, ${list}, while ${camera}`,
      `while ${camera}, ${list} ${place}`,
      `${list} ${place} while ${camera}`,
      `${camera}; ${place}, ${list}`,
    ]);
  return { text: `${capitalise(text)}.`, mentions, unnamed };
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
