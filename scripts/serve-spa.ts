/**
 * `npm run spa`: serves `examples/spa` on the API's `CLIENT_ORIGIN_URL` (http://localhost:4040 by
 * default), the one origin the API lets browsers call it from. The browser test serves it too.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express from 'express';
import ts from 'typescript';
import { loadConfigOrExit } from '../src/config.js';

const SPA_DIR = fileURLToPath(new URL('../examples/spa/', import.meta.url));
/** The typed documents GraphQL Code Generator writes for the page (`npm run codegen`). */
const DOCUMENTS_MODULE = 'generated/graphql.ts';

/**
 * The generated documents as the browser can load them: TypeScript with its types removed, which
 * leaves each operation's hash. The page needs no build step and no bundler for that.
 */
function documentsModule(): string {
  const source = readFileSync(`${SPA_DIR}${DOCUMENTS_MODULE}`, 'utf8');
  return ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
}

export interface SpaServer {
  /** The origin the page is served from, e.g. http://127.0.0.1:4040 */
  origin: string;
  close(): Promise<void>;
}

/** Serves the example SPA's files as they are, on `host:port` (port 0 picks a free one). */
export async function serveSpa(host: string, port: number): Promise<SpaServer> {
  const app = express();
  app.disable('x-powered-by');
  const documents = documentsModule();
  app.get(`/${DOCUMENTS_MODULE}`, (_req, res) => {
    res.type('text/javascript').send(documents);
  });
  app.use(express.static(SPA_DIR));
  const server = createServer(app).listen(port, host);
  await once(server, 'listening');
  const origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const client = new URL(config.clientOriginUrl);
  await serveSpa(client.hostname.replace(/^\[(.*)\]$/, '$1'), Number(client.port || 80));
  const page = `${config.clientOriginUrl}/?api=${encodeURIComponent(`http://localhost:${config.port}`)}`;
  process.stdout.write(`Example SPA on ${config.clientOriginUrl}, calling the API on port ${config.port}. Open ${page}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
