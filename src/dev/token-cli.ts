/**
 * `npm run token -- [--permissions a,b]`: prints, as the last line, an access token that the
 * server on PORT (default 6060) accepts, taken from its embedded development issuer.
 */
import { parseArgs } from 'node:util';
import { loadConfigFromProcess } from '../config.js';

const { values } = parseArgs({ options: { permissions: { type: 'string', default: '' } } });
const { port } = loadConfigFromProcess();
const url = `http://127.0.0.1:${port}/dev/token?permissions=${encodeURIComponent(values.permissions)}`;

try {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  const { access_token } = (await response.json()) as { access_token: string };
  process.stdout.write(`${access_token}\n`);
} catch (error) {
  process.stderr.write(
    `Cannot get a token from ${url}: ${String(error)}\n` +
      'Start the server first (npm start) without AUTH0_DOMAIN, so that it runs its embedded development issuer.\n',
  );
  process.exit(1);
}
