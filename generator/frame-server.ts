import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { pageBundle } from './page-bundle.ts';

const HTML =
  '<!doctype html><meta charset="utf-8"><title>datadiet</title><script type="module" src="/page.js"></script>';

/**
 * A loopback HTTP server that serves the page and receives frames over WebSockets: one socket per
 * render worker, identified by the `worker` query parameter.
 */
export class FrameServer {
  private readonly handlers = new Map<string, (data: Buffer) => void>();

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly port: number,
  ) {}

  static async start(): Promise<FrameServer> {
    const bundle = await pageBundle();
    const http = createServer((req, res) => {
      if (req.url?.startsWith('/page.js')) {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
      } else if (req.url === '/' || req.url?.startsWith('/?')) {
        res.writeHead(200, { 'content-type': 'text/html' }).end(HTML);
      } else {
        res.writeHead(404).end();
      }
    });
    const wss = new WebSocketServer({ server: http, path: '/ws', maxPayload: 1 << 30 });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const server = new FrameServer(http, wss, (http.address() as AddressInfo).port);
    wss.on('connection', (ws: WebSocket, req) => {
      const worker = new URL(req.url ?? '/', 'http://x').searchParams.get('worker') ?? '';
      ws.on('message', (data: Buffer, isBinary) => {
        if (isBinary) server.handlers.get(worker)?.(data);
      });
    });
    return server;
  }

  pageUrl(worker: string): string {
    const ws = `ws://127.0.0.1:${this.port}/ws?worker=${encodeURIComponent(worker)}`;
    return `http://127.0.0.1:${this.port}/?ws=${encodeURIComponent(ws)}`;
  }

  onFrames(worker: string, handler: (data: Buffer) => void): void {
    this.handlers.set(worker, handler);
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
    await new Promise<void>((r) => this.http.close(() => r()));
  }
}
