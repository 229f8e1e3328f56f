import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { projectRoot } from '../core/index.ts';
import { isS3Url } from '../output/index.ts';
import { resolveSpec } from '../scenes/index.ts';
import { parseCli } from './main.ts';

const K8S = join(projectRoot(), 'deploy', 'k8s');

interface Container {
  name: string;
  image: string;
  command?: string[];
  args: string[];
  env?: { name: string; value?: string }[];
  envFrom?: { secretRef?: { name: string } }[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Job {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    completionMode?: string;
    completions?: number;
    parallelism?: number;
    template: {
      spec: {
        restartPolicy: string;
        initContainers?: Container[];
        containers: Container[];
        volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
      };
    };
  };
}

/** Every document of every YAML file, parsed strictly (a YAML error fails the test). */
async function load(): Promise<Map<string, unknown[]>> {
  const files = new Map<string, unknown[]>();
  for (const f of (await readdir(K8S)).filter((n) => n.endsWith('.yaml')).sort()) {
    const docs = parseAllDocuments(await readFile(join(K8S, f), 'utf8'));
    for (const d of docs) expect(d.errors, f).toEqual([]);
    files.set(
      f,
      docs.map((d) => d.toJS() as unknown),
    );
  }
  return files;
}

const jobs = async () => {
  const out = new Map<string, Job>();
  for (const [f, docs] of await load())
    for (const d of docs) if ((d as Job).kind === 'Job') out.set(f, d as Job);
  return out;
};

/** The location argument the CLI will see, after yargs has parsed the container's args. */
async function cli(c: Container) {
  expect(c.command, `${c.name}: use args, the image's entry point is datadiet`).toBeUndefined();
  return (await parseCli(c.args).parseAsync()) as Record<string, unknown> & { _: string[] };
}

function mountFor(c: Container, path: string) {
  return c.volumeMounts?.find((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`));
}

describe('deploy/k8s manifests', () => {
  it('every file parses, and there are the documented Jobs and the volume claim', async () => {
    const files = await load();
    expect([...files.keys()]).toEqual([
      'generate-job-s3.yaml',
      'generate-job.yaml',
      'merge-job-s3.yaml',
      'merge-job.yaml',
      'pvc.yaml',
    ]);
    expect(files.get('pvc.yaml')).toMatchObject([
      { kind: 'PersistentVolumeClaim', metadata: { name: 'datadiet-data' } },
    ]);
  });

  for (const file of ['generate-job.yaml', 'generate-job-s3.yaml']) {
    it(`${file}: an Indexed Job whose pods run a generate command the CLI accepts`, async () => {
      const job = (await jobs()).get(file)!;
      expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job' });
      expect(job.spec.completionMode).toBe('Indexed');
      const n = job.spec.completions!;
      expect(n).toBeGreaterThan(1);
      expect(job.spec.parallelism).toBeLessThanOrEqual(n);
      expect(['Never', 'OnFailure']).toContain(job.spec.template.spec.restartPolicy);
      const [c] = job.spec.template.spec.containers;
      const args = await cli(c!);
      expect(args._).toEqual(['generate']);
      // Pod i takes its index from JOB_COMPLETION_INDEX: a fixed --shard-index would be wrong.
      expect(args.shardIndex).toBeUndefined();
      expect(args.numShards).toBe(n);
      // The flags give a valid spec, and no pod is left without a shard.
      const spec = await resolveSpec({
        preset: args.preset as string | undefined,
        specFile: args.spec as string | undefined,
        overrides: {
          sequences: args.sequences as number,
          sequences_per_shard: args.sequencesPerShard as number,
        },
      });
      expect(Math.ceil(spec.sequences / spec.sequences_per_shard)).toBeGreaterThanOrEqual(n);
      const out = args.out as string;
      if (file.includes('s3')) {
        expect(isS3Url(out)).toBe(true);
        expect(c!.env?.some((e) => e.name === 'AWS_ENDPOINT_URL')).toBe(true);
        expect(c!.envFrom?.[0]?.secretRef?.name).toBe('datadiet-s3');
      } else {
        const mount = mountFor(c!, out);
        expect(mount, `--out ${out} must be on a mounted volume`).toBeDefined();
        const vol = job.spec.template.spec.volumes?.find((v) => v.name === mount!.name);
        expect(vol?.persistentVolumeClaim?.claimName).toBe('datadiet-data');
      }
    });
  }

  for (const [merge, generate] of [
    ['merge-job.yaml', 'generate-job.yaml'],
    ['merge-job-s3.yaml', 'generate-job-s3.yaml'],
  ] as const) {
    it(`${merge}: manifest then verify, on the location ${generate} writes`, async () => {
      const all = await jobs();
      const out = (await cli(all.get(generate)!.spec.template.spec.containers[0]!)).out;
      const pod = all.get(merge)!.spec.template.spec;
      const [first] = pod.initContainers!;
      const [last] = pod.containers;
      expect(await cli(first!)).toMatchObject({ _: ['manifest'], location: out });
      expect(await cli(last!)).toMatchObject({ _: ['verify'], location: out });
      if (!isS3Url(out as string)) expect(mountFor(first!, out as string)).toBeDefined();
    });
  }

  it('every container runs the image the README builds, which the Dockerfile makes', async () => {
    const readme = await readFile(join(projectRoot(), 'README.md'), 'utf8');
    const docker = await readFile(join(projectRoot(), 'deploy', 'Dockerfile'), 'utf8');
    const tag = /docker build -f deploy\/Dockerfile -t (\S+) \./.exec(readme)?.[1];
    expect(tag).toBeDefined();
    for (const job of (await jobs()).values()) {
      const pod = job.spec.template.spec;
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) expect(c.image).toBe(tag);
    }
    expect(docker).toMatch(/^FROM node:20\b/m);
    expect(docker).toMatch(/apt-get install .*\bchromium\b/);
    expect(docker).toMatch(/DATADIET_BROWSER=\/usr\/bin\/chromium/);
    expect(docker).toMatch(/npm ci\b/);
    expect(docker).toMatch(/^ENTRYPOINT \["node", "bin\/datadiet\.js"\]/m);
  });
});
