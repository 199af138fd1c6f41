// Development tokens and INS values for the JavaScript tests (tests/node-client, tests/swagger-browser); no dependencies.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

// Development tokens (DESIGN §3): HS256 with the key the server was started with.
function signingKey() {
  const key = process.env.DMP_SIGNING_KEY ?? process.env.Auth__SigningKey;
  if (key) return key;
  const settings = new URL('../../src/DmpApi/appsettings.Development.json', import.meta.url);
  return JSON.parse(readFileSync(settings, 'utf8')).Auth.SigningKey;
}

export function token(claims) {
  const now = Math.floor(Date.now() / 1000);
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({
    iss: process.env.DMP_TOKEN_ISSUER ?? process.env.Auth__Issuer ?? 'dmpapi-dev',
    aud: process.env.DMP_TOKEN_AUDIENCE ?? process.env.Auth__Audience ?? 'dmpapi',
    nbf: now - 5, iat: now - 5, exp: now + 3600, ...claims,
  })}`;
  return `${body}.${createHmac('sha256', signingKey()).update(body).digest('base64url')}`;
}

// A fresh INS-NIR (DMP-RULES §1): key = 97 − (first 13 digits mod 97).
export function randomIns() {
  const digits = (n) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');
  const first13 = `2${String(30 + Math.floor(Math.random() * 60))}${String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')}75${digits(6)}`;
  return first13 + String(97 - Number(BigInt(first13) % 97n)).padStart(2, '0');
}
