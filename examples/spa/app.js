// An example browser client of the Hello World API: plain JavaScript, no build step, no library.
// It calls the API the way the Auth0 "Hello World" samples do: `fetch` with a JSON content type
// and a bearer token, or with "Use DPoP" a DPoP-bound token and a fresh proof per request, and it
// shows each result, or the error's message, as JSON. Its GraphQL operations are trusted
// documents: GraphQL Code Generator turns operations.graphql into typed documents that carry only
// each operation's hash, and the page sends that hash as `documentId`, never a query's text.

import { createDpopKey, createProof } from './dpop.js';
import { AdminMessageDocument, ProtectedMessageDocument, PublicMessageDocument } from './generated/graphql.ts';

const ADMIN_PERMISSION = 'read:admin-messages';

const calls = [
  { id: 'rest-public', kind: 'REST', title: 'GET /api/messages/public', run: () => callRest('/api/messages/public') },
  { id: 'rest-protected', kind: 'REST', title: 'GET /api/messages/protected', run: () => callRest('/api/messages/protected') },
  { id: 'rest-admin', kind: 'REST', title: 'GET /api/messages/admin', run: () => callRest('/api/messages/admin') },
  { id: 'graphql-public', kind: 'GraphQL', title: 'query PublicMessage', run: () => callGraphQL(PublicMessageDocument, 'publicMessage') },
  { id: 'graphql-protected', kind: 'GraphQL', title: 'query ProtectedMessage', run: () => callGraphQL(ProtectedMessageDocument, 'protectedMessage') },
  { id: 'graphql-admin', kind: 'GraphQL', title: 'query AdminMessage', run: () => callGraphQL(AdminMessageDocument, 'adminMessage') },
];

const apiUrlField = document.querySelector('#api-url');
const tokenField = document.querySelector('#token');
const notice = document.querySelector('#notice');
const useDpopField = document.querySelector('#use-dpop');
const dpopStatus = document.querySelector('#dpop-status');

/** This page's DPoP key, made once per visit; its private half never leaves WebCrypto. */
const dpopKey = createDpopKey();
const useDpop = () => useDpopField.checked;

/** The API server: `?api=` when given, else where the samples expect it. */
apiUrlField.value = new URLSearchParams(location.search).get('api') ?? 'http://localhost:6060';
const apiUrl = () => apiUrlField.value.replace(/\/+$/, '');

/** The token as typed or pasted, tolerating a leading `Bearer `. */
const token = () => tokenField.value.trim().replace(/^Bearer\s+/i, '');

/**
 * Sends a request with the token, as Bearer or, with "Use DPoP", as DPoP with its proof. When the
 * API asks for a server nonce (`use_dpop_nonce`), it is sent once more with a proof carrying it.
 */
async function send(url, { method = 'GET', body } = {}, nonce = undefined) {
  const headers = { 'content-type': 'application/json' };
  if (token() && useDpop()) {
    headers.authorization = `DPoP ${token()}`;
    headers.dpop = await createProof(await dpopKey, { method, url, accessToken: token(), nonce });
  } else if (token()) {
    headers.authorization = `Bearer ${token()}`;
  }
  const response = await fetch(url, { method, headers, body });
  const retryNonce = response.headers.get('dpop-nonce');
  const askedForNonce = /error="use_dpop_nonce"/.test(response.headers.get('www-authenticate') ?? '');
  if (askedForNonce && retryNonce && nonce === undefined) return send(url, { method, body }, retryNonce);
  return response;
}

/** A REST call: its body is the result on success, and carries the message on failure. */
async function callRest(path) {
  const response = await send(`${apiUrl()}${path}`);
  const body = await response.json();
  return { ok: response.ok, status: response.status, shown: response.ok ? body : { message: body.message } };
}

/** A GraphQL query by its `documentId`: a denied field comes back as an error with a code, next to `data`. */
async function callGraphQL(document, field) {
  const response = await send(`${apiUrl()}/graphql`, { method: 'POST', body: JSON.stringify({ documentId: document.__meta__.hash }) });
  const body = await response.json();
  const error = body.errors?.[0];
  if (error) return { ok: false, status: response.status, shown: { message: error.message, code: error.extensions?.code } };
  return { ok: true, status: response.status, shown: body.data[field] };
}

function render() {
  const template = document.querySelector('#result-template');
  const results = document.querySelector('#results');
  for (const call of calls) {
    const card = template.content.firstElementChild.cloneNode(true);
    card.dataset.call = call.id;
    card.querySelector('.kind').textContent = call.kind;
    card.querySelector('.title').textContent = call.title;
    results.append(card);
  }
}

function show(card, state, status, shown) {
  card.dataset.state = state;
  card.querySelector('.status').textContent = status;
  card.querySelector('.body').textContent = JSON.stringify(shown, null, 2);
}

async function callAll() {
  await Promise.all(
    calls.map(async (call) => {
      const card = document.querySelector(`[data-call="${call.id}"]`);
      show(card, 'loading', '…', 'Loading…');
      try {
        const { ok, status, shown } = await call.run();
        show(card, ok ? 'ok' : 'error', String(status), shown);
      } catch (error) {
        // A network failure, or a response the browser withheld because CORS did not allow it.
        show(card, 'error', 'no response', { message: error.message });
      }
    }),
  );
}

/**
 * Takes a token from the API's embedded development issuer, which exists only when the API runs
 * without a tenant, outside production. `onlyIfEmpty` keeps a token typed in the meantime.
 */
async function fillDevelopmentToken(permissions, { onlyIfEmpty = false } = {}) {
  try {
    // With DPoP, the token is bound to this page's key by its thumbprint.
    const jkt = useDpop() ? `&jkt=${(await dpopKey).thumbprint}` : '';
    const response = await fetch(`${apiUrl()}/dev/token?permissions=${encodeURIComponent(permissions.join(','))}${jkt}`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const { access_token: accessToken } = await response.json();
    if (onlyIfEmpty && token()) return;
    tokenField.value = accessToken;
    const kind = useDpop() ? 'DPoP-bound development token' : 'Development token';
    notice.textContent = `${kind} from the embedded issuer, ${permissions.length ? `with ${permissions.join(', ')}` : 'without permissions'}.`;
  } catch {
    if (!onlyIfEmpty) notice.textContent = `No development issuer at ${apiUrl()}: paste an access token instead.`;
  }
}

render();
document.querySelector('#settings').addEventListener('submit', (event) => {
  event.preventDefault();
  callAll();
});
document.querySelector('#dev-token-admin').addEventListener('click', () => fillDevelopmentToken([ADMIN_PERMISSION]));
document.querySelector('#dev-token-user').addEventListener('click', () => fillDevelopmentToken([]));
useDpopField.addEventListener('change', async () => {
  const { privateKey, thumbprint } = await dpopKey;
  dpopStatus.dataset.jkt = thumbprint;
  dpopStatus.textContent = useDpop()
    ? `DPoP key: ES256, private key extractable: ${privateKey.extractable}, thumbprint ${thumbprint}. Tokens must be bound to it.`
    : '';
});
fillDevelopmentToken([ADMIN_PERMISSION], { onlyIfEmpty: true });
