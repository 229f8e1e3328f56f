import cliProgress from 'cli-progress';

/** A bar with rate and ETA on a TTY; plain lines (at most every few seconds) otherwise. */
export interface Progress {
  update(done: number, detail?: string): void;
  stop(): void;
}

export function createProgress(opts: {
  total: number;
  unit: string;
  stream?: NodeJS.WriteStream;
}): Progress {
  const stream = opts.stream ?? process.stderr;
  const started = performance.now();
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `{bar} {value}/{total} ${opts.unit} | {rate} ${opts.unit}/s | ETA {eta_formatted} {detail}`,
        stream,
        hideCursor: true,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(opts.total, 0, { rate: '0.0', detail: '' });
    return {
      update(done, detail = '') {
        const rate = done / Math.max(1e-3, (performance.now() - started) / 1000);
        bar.update(done, { rate: rate.toFixed(1), detail });
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update(done, detail = '') {
      const t = performance.now();
      if (done < opts.total && t - last < 5000) return;
      last = t;
      const secs = (t - started) / 1000;
      const rate = done / Math.max(1e-3, secs);
      const eta = rate > 0 ? (opts.total - done) / rate : 0;
      stream.write(
        `progress: ${done}/${opts.total} ${opts.unit} (${((100 * done) / Math.max(1, opts.total)).toFixed(0)}%), ${rate.toFixed(1)} ${opts.unit}/s, ETA ${eta.toFixed(0)} s${detail ? ` ${detail}` : ''}\n`,
      );
    },
    stop() {},
  };
}
