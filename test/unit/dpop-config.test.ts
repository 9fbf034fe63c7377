import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

function failsOn(env: Record<string, string>, variable: string) {
  assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && error.variable === variable && !error.message.includes('\n'));
}

describe('DPoP and Redis settings', () => {
  it('default to Auth0\'s window and algorithms, Bearer accepted, no nonce, memory replay store', () => {
    const config = loadConfig({});
    assert.deepEqual(config.dpop, {
      algorithms: ['ES256', 'PS256', 'RS256', 'EdDSA'],
      maxAgeS: 300,
      maxAheadS: 30,
      required: false,
      nonce: false,
      publicUrls: [],
    });
    assert.equal(config.redisUrl, undefined);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PUBLIC_URL: 'https://api.example.com/',
      DPOP_ALGS: 'ES256, EdDSA',
      DPOP_IAT_MAX_AGE_S: '60',
      DPOP_IAT_MAX_AHEAD_S: '0',
      DPOP_REQUIRED: 'true',
      DPOP_NONCE: '1',
      REDIS_URL: 'redis://127.0.0.1:6379/0',
    });
    assert.deepEqual(config.dpop, { algorithms: ['ES256', 'EdDSA'], maxAgeS: 60, maxAheadS: 0, required: true, nonce: true, publicUrls: ['https://api.example.com'] });
    assert.equal(config.redisUrl?.href, 'redis://127.0.0.1:6379/0');
    assert.equal(loadConfig({ REDIS_URL: 'rediss://cache.example.com:6380' }).redisUrl?.protocol, 'rediss:');
  });

  it('reads PUBLIC_URL as a comma-separated list of origins', () => {
    const config = loadConfig({ PUBLIC_URL: 'https://api.example.com, https://api.example.org:8443/,https://api.example.com' });
    assert.deepEqual(config.dpop.publicUrls, ['https://api.example.com', 'https://api.example.org:8443']);
    failsOn({ PUBLIC_URL: 'https://api.example.com,https://api.example.org/base' }, 'PUBLIC_URL');
    failsOn({ PUBLIC_URL: 'https://api.example.com,' }, 'PUBLIC_URL');
  });

  it('refuses bad values with one line naming the variable', () => {
    failsOn({ PUBLIC_URL: 'https://api.example.com/base' }, 'PUBLIC_URL');
    failsOn({ PUBLIC_URL: 'ftp://api.example.com' }, 'PUBLIC_URL');
    failsOn({ DPOP_ALGS: 'ES256,HS256' }, 'DPOP_ALGS');
    failsOn({ DPOP_ALGS: 'none' }, 'DPOP_ALGS');
    failsOn({ DPOP_IAT_MAX_AGE_S: '0' }, 'DPOP_IAT_MAX_AGE_S');
    failsOn({ DPOP_IAT_MAX_AHEAD_S: '301' }, 'DPOP_IAT_MAX_AHEAD_S');
    failsOn({ DPOP_REQUIRED: 'yes' }, 'DPOP_REQUIRED');
    failsOn({ DPOP_NONCE: 'maybe' }, 'DPOP_NONCE');
    failsOn({ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL');
    failsOn({ REDIS_URL: 'not a url' }, 'REDIS_URL');
  });
});
