#!/usr/bin/env node
// Signs a person in at tests/tools/oidc-provider.mjs the way a browser would: authorization code
// flow with PKCE for the public client `people`, through the provider's own login and consent
// forms, then the code exchanged at the token endpoint. Prints the access token on stdout.
//
//   node tests/tools/oidc-sign-in.mjs --issuer URL --login alice@acme.test [--resource URL]
//        [--scope "openid email invitee"]
import { createHash, randomBytes } from 'node:crypto';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const issuer = opt('issuer');
const login = opt('login');
const resource = opt('resource', 'https://scim.test/v2');
const scope = opt('scope', 'openid email profile invitee');
const redirectUri = 'http://127.0.0.1/cb';
if (!issuer || !login) {
  console.error('usage: oidc-sign-in.mjs --issuer URL --login LOGIN [--resource URL]');
  process.exit(2);
}

const b64url = (buf) => buf.toString('base64url');
const verifier = b64url(randomBytes(32));
const challenge = b64url(createHash('sha256').update(verifier).digest());
const jar = new Map();

function keepCookies(res) {
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const eq = pair.indexOf('=');
    jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
  }
}

async function go(url, init = {}) {
  const headers = { ...(init.headers || {}) };
  if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  keepCookies(res);
  return res;
}

const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
const auth = new URL(discovery.authorization_endpoint);
auth.search = new URLSearchParams({
  client_id: 'people',
  response_type: 'code',
  redirect_uri: redirectUri,
  scope,
  resource,
  code_challenge: challenge,
  code_challenge_method: 'S256',
  login_hint: login,
}).toString();

let url = auth.toString();
let code;
for (let step = 0; step < 12 && !code; step += 1) {
  const res = await go(url);
  if (res.status >= 300 && res.status < 400) {
    const next = new URL(res.headers.get('location'), url);
    if (next.href.startsWith(redirectUri)) {
      if (next.searchParams.get('error')) {
        console.error(`sign-in refused: ${next.searchParams.get('error_description')}`);
        process.exit(1);
      }
      code = next.searchParams.get('code');
    }
    url = next.href;
    continue;
  }
  const html = await res.text();
  // The provider's interaction page: a form with a hidden "prompt" (login or consent).
  const action = /<form[^>]*action="([^"]+)"/.exec(html);
  const prompt = /name="prompt" value="([a-z]+)"/.exec(html);
  if (res.status !== 200 || !action || !prompt) {
    console.error(`unexpected page ${res.status} at ${url}`);
    process.exit(1);
  }
  const body = new URLSearchParams({ prompt: prompt[1] });
  if (prompt[1] === 'login') {
    body.set('login', login);
    body.set('password', 'any');
  }
  const post = await go(new URL(action[1].replace(/&amp;/g, '&'), url).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
  });
  if (post.status < 300 || post.status >= 400) {
    console.error(`form post answered ${post.status}`);
    process.exit(1);
  }
  url = new URL(post.headers.get('location'), url).href;
}
if (!code) {
  console.error('no authorization code after the sign-in');
  process.exit(1);
}

const token = await fetch(discovery.token_endpoint, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    client_id: 'people',
    code_verifier: verifier,
    resource,
  }).toString(),
});
const out = await token.json();
if (!token.ok || !out.access_token) {
  console.error(`token endpoint: ${token.status} ${JSON.stringify(out)}`);
  process.exit(1);
}
process.stdout.write(out.access_token);
