import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { freePort } from '../../support/free-port.js';

const REDIS_SERVER = process.env['REDIS_SERVER_PATH'] ?? 'redis-server';

/**
 * A throwaway redis-server on loopback, nothing persisted. Redis cannot pick its own port
 * (`--port 0` turns TCP off), so a free one is found by binding, and the start is retried
 * should another process take it in between.
 *
 * Each has a password of its own. A port freed by `stop` can be taken by another test's Redis;
 * clients still reconnecting to it must be refused there, not counted in a store that is not
 * theirs, which would pass the outage off as a healthy Redis.
 */
export class RedisServer {
  #child: ChildProcess | undefined;
  readonly #password = randomBytes(12).toString('hex');

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://:${this.#password}@127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const server = new RedisServer(await freePort());
      try {
        await server.restart();
        return server;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  /** Starts it again on the same port, after `stop`. */
  async restart(): Promise<void> {
    const child = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--requirepass', this.#password, '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.on('error', () => undefined);
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.once('error', (error) =>
        reject(new Error(`cannot run ${REDIS_SERVER} (${error.message}); install Debian's redis-server, as .ci/run does`)));
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
    });
    child.removeAllListeners('exit');
    this.#child = child;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}
