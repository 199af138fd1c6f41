// Swagger UI in a real browser (DESIGN §1): Debian's Chromium driven by playwright-core opens /swagger, authorises with a
// development token, runs "Try it out" on the metadata and on a document search, and checks what the page shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { randomIns, token } from '../node-client/dev-token.js';

const root = process.env.DMP_BASE_URL?.replace(/\/$/, '');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = root ? false : 'DMP_BASE_URL is not set: this test drives Swagger UI on a live server (.ci/run starts one)';
const results = new URL('../../TestResults/', import.meta.url);
const doctor = '810001234567';

/** A record with one consultation report, through the API itself, so that the search on the page has something to find. */
async function recordWithDocument(bearer) {
  const post = async (type, body) => {
    const response = await fetch(`${root}/fhir/${type}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 201, `arranging: POST ${type}`);
    return response.json();
  };
  const ins = randomIns();
  const patient = await post('Patient', { resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.8', value: ins }], name: [{ family: 'SWAGGER' }] });
  const document = await post('DocumentReference', {
    resourceType: 'DocumentReference',
    status: 'current',
    type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
    subject: { reference: `Patient/${patient.id}` },
    content: [{ attachment: { contentType: 'application/pdf', data: Buffer.from('%PDF-1.4\n%%EOF\n').toString('base64') } }],
  });
  return { patient, document };
}

/** Expands an operation, presses "Try it out", fills its parameters, executes, and returns the status and body shown. */
async function tryItOut(page, operationId, parameters = {}) {
  const block = page.locator(`[id^="operations-"][id$="-${operationId}"]`);
  await block.locator('.opblock-summary').first().click();
  await block.locator('.try-out__btn').click();
  for (const [name, value] of Object.entries(parameters)) {
    await block.locator(`tr[data-param-name="${name}"] input`).fill(value);
  }
  await block.locator('.btn.execute').click();
  const live = block.locator('.live-responses-table .response').first();
  await live.waitFor({ timeout: 20_000 });
  return {
    status: (await live.locator('.response-col_status').innerText()).trim(),
    body: await live.locator('.response-col_description pre').first().innerText(),
  };
}

test('Swagger UI: authorise, then "Try it out" on the metadata and on a document search', { skip }, async () => {
  const bearer = token({ sub: doctor, idnps: doctor, profession: '10', purpose_of_use: 'TREAT', scope: 'user/*.cruds', name: 'Dr Swagger' });
  const { patient, document } = await recordWithDocument(bearer);
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // As root in a container: no sandbox. The network flags keep Chromium from calling home (the machine's network is closed).
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const failed = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    await page.goto(`${root}/swagger/index.html`);
    await page.locator('.information-container .title').waitFor();
    assert.match(await page.locator('.information-container .title').innerText(), /DmpApi/);

    await page.locator('.auth-wrapper .authorize').click();
    await page.locator('.modal-ux input[type="text"], .modal-ux input[type="password"]').first().fill(bearer);
    await page.locator('.modal-ux .auth-btn-wrapper .authorize').click();
    await page.locator('.modal-ux .btn-done').click();

    const metadata = await tryItOut(page, 'Capabilities');
    assert.equal(metadata.status, '200');
    assert.match(metadata.body, /"resourceType": "CapabilityStatement"/);
    assert.match(metadata.body, /"fhirVersion": "4\.0\.1"/);

    const search = await tryItOut(page, 'SearchDocumentReference', { patient: patient.id });
    assert.equal(search.status, '200', search.body);
    assert.match(search.body, /"type": "searchset"/);
    assert.ok(search.body.includes(document.id), 'the page shows the document the search found');

    mkdirSync(results, { recursive: true });
    const label = process.env.DMP_CONTRACT_LABEL ? `-${process.env.DMP_CONTRACT_LABEL}` : '';
    await page.locator('[id$="-SearchDocumentReference"] .live-responses-table').scrollIntoViewIfNeeded();
    await page.screenshot({ path: new URL(`swagger-ui${label}.png`, results).pathname });
    assert.deepEqual(failed.filter((url) => url.startsWith(root)), [], 'requests to the server that failed');
  } finally {
    await browser.close();
  }
});
