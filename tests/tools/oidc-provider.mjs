#!/usr/bin/env node
// A real OpenID provider (panva/oidc-provider) on loopback for the oidc integration tests.
//
//   node tests/tools/oidc-provider.mjs [--port 0] [--alg RS256] [--ttl 600] [--resource URL]
//
// Prints "OIDC_PROVIDER_URL=http://127.0.0.1:<port>" on stderr once it listens (port 0 = any).
// Client: scim-client / s3cret (client_credentials, client_secret_basic), scopes scim scim:read
// scim:write scim:admin; access tokens are RFC 9068 JWTs for the resource (default https://scim.test/v2).
// Client: people (public, authorization code + PKCE, redirect http://127.0.0.1/cb) for signed-in
// users: the provider's own login form accepts any login; the account's sub is the login, and its
// access tokens carry email (the login), email_verified (false when the login starts with
// "unverified") and name. tests/tools/oidc-sign-in.mjs drives that flow.
//
// Test controls (loopback only, never in a real deployment):
//   POST /__test/rotate   new signing key first, old keys still published (also on SIGUSR2)
//   POST /__test/retire   drop every key but the newest
//   GET  /__test/stats    {"jwks_requests": n, "kids": [...]}
//   GET  /__test/big?bytes=N     N bytes, chunked (no Content-Length)
//   GET  /__test/slow?ms=N       answers after N ms
//   GET  /__test/status?code=N   empty body with status N
//   GET  /__test/redirect?to=URL 302 to URL
import http from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const port = Number(opt('port', '0'));
const alg = opt('alg', 'RS256');
const ttl = Number(opt('ttl', '600'));
const resource = opt('resource', 'https://scim.test/v2');

function makeKey() {
  let kp;
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    kp = generateKeyPairSync('rsa', { modulusLength: 2048 });
  } else if (alg === 'ES256') {
    kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  } else if (alg === 'ES384') {
    kp = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  } else if (alg === 'EdDSA') {
    kp = generateKeyPairSync('ed25519');
  } else {
    throw new Error(`unsupported alg ${alg}`);
  }
  return { ...kp.privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: randomUUID() };
}

function personClaims(login) {
  const local = login.split('@')[0];
  return {
    email: login,
    email_verified: !login.startsWith('unverified'),
    name: local.charAt(0).toUpperCase() + local.slice(1),
  };
}

let keys = [makeKey()];
let provider;
let issuer;
let jwksRequests = 0;

function build() {
  provider = new Provider(issuer, {
    clients: [{
      client_id: 'scim-client',
      client_secret: 's3cret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'scim scim:read scim:write scim:admin',
      id_token_signed_response_alg: alg,
    }, {
      client_id: 'people',
      application_type: 'native',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/cb'],
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: alg,
    }],
    scopes: ['openid', 'email', 'profile', 'scim', 'scim:read', 'scim:write', 'scim:admin', 'invitee'],
    findAccount: (ctx, sub) => ({
      accountId: sub,
      claims: () => ({ sub, ...personClaims(sub) }),
    }),
    // Access tokens of people say who they are (what an invitee's token must carry).
    extraTokenClaims: (ctx, token) => (token.accountId ? personClaims(token.accountId) : undefined),
    jwks: { keys },
    ttl: {
      AccessToken: ttl, Grant: 3600, IdToken: 600, Interaction: 600, Session: 3600,
    },
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, indicator) => ({
          scope: 'scim scim:read scim:write scim:admin invitee',
          audience: indicator,
          accessTokenTTL: ttl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg } },
        }),
      },
    },
  });
  provider.proxy = false;
}

function rotate() {
  keys = [makeKey(), ...keys];
  build();
  return keys[0].kid;
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function testRoute(req, res, url) {
  const q = url.searchParams;
  switch (url.pathname) {
    case '/__test/rotate':
      return json(res, 200, { kid: rotate() });
    case '/__test/retire':
      keys = [keys[0]];
      build();
      return json(res, 200, { kid: keys[0].kid });
    case '/__test/stats':
      return json(res, 200, { jwks_requests: jwksRequests, kids: keys.map((k) => k.kid) });
    case '/__test/big': {
      res.writeHead(200, { 'content-type': 'application/json' });
      let left = Number(q.get('bytes') || '1048576');
      const chunk = 'x'.repeat(16384);
      while (left > 0) {
        res.write(chunk.slice(0, Math.min(left, chunk.length)));
        left -= chunk.length;
      }
      return res.end();
    }
    case '/__test/slow':
      return setTimeout(() => json(res, 200, { keys: [] }), Number(q.get('ms') || '10000'));
    case '/__test/status':
      res.writeHead(Number(q.get('code') || '500'));
      return res.end();
    case '/__test/redirect':
      res.writeHead(302, { location: q.get('to') || '/' });
      return res.end();
    default:
      return json(res, 404, { error: 'unknown test route' });
  }
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, issuer);
  if (url.pathname.startsWith('/__test/')) return testRoute(req, res, url);
  if (url.pathname === '/jwks') jwksRequests += 1;
  return provider.callback()(req, res);
});

process.on('SIGUSR2', () => {
  const kid = rotate();
  console.error(`OIDC_PROVIDER_ROTATED=${kid}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

server.listen(port, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  build();
  console.error(`OIDC_PROVIDER_URL=${issuer}`);
});
