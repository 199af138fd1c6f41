// The DmpApi workflow of an integrator outside .NET (DESIGN §6): fhir-kit-client against a live server at DMP_BASE_URL.
// token → patient → document → search → content → trace, and errors as OperationOutcomes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'fhir-kit-client';
import { randomIns, token } from './dev-token.js';

const root = process.env.DMP_BASE_URL?.replace(/\/$/, '');
const skip = root ? false : 'DMP_BASE_URL is not set: this workflow runs against a live server (.ci/run starts one)';
const fhirBase = `${root}/fhir`;
const INS_SYSTEM = 'urn:oid:1.2.250.1.213.1.4.8';
const IDNATPS_SYSTEM = 'urn:oid:1.2.250.1.71.4.2.1';
const doctor = '810001234567';

const pdf = Buffer.from('%PDF-1.4\n% compte rendu fhir-kit-client\n%%EOF\n');

test('an integrator without the .NET SDK publishes, finds and reads a document, and the patient sees the trace', { skip }, async (t) => {
  const doctorToken = token({ sub: doctor, idnps: doctor, profession: '10', purpose_of_use: 'TREAT', scope: 'user/*.cruds', name: 'Dr Node' });
  const professional = new Client({ baseUrl: fhirBase, bearerToken: doctorToken });
  const ins = randomIns();
  let patient;
  let document;

  await t.test('metadata: a FHIR 4.0.1 server that serves DocumentReference', async () => {
    const statement = await new Client({ baseUrl: fhirBase }).capabilityStatement();
    assert.equal(statement.fhirVersion, '4.0.1');
    assert.ok(statement.rest[0].resource.some((r) => r.type === 'DocumentReference'));
  });

  await t.test('patient: the professional opens the record by INS', async () => {
    patient = await professional.create({
      resourceType: 'Patient',
      body: { resourceType: 'Patient', identifier: [{ system: INS_SYSTEM, value: ins }], name: [{ family: 'NODE', given: ['Alice'] }], gender: 'female', birthDate: '1980-02-29' },
    });
    assert.equal(patient.resourceType, 'Patient');
    assert.equal(patient.identifier[0].value, ins);
  });

  await t.test('document: a consultation report with its PDF inline; the bytes move to a Binary', async () => {
    document = await professional.create({
      resourceType: 'DocumentReference',
      body: {
        resourceType: 'DocumentReference',
        status: 'current',
        type: { coding: [{ system: 'http://loinc.org', code: '11488-4', display: 'Compte rendu de consultation' }] },
        category: [{ coding: [{ system: 'https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument', code: '10' }] }],
        subject: { reference: `Patient/${patient.id}` },
        date: '2026-11-20T10:00:00+01:00',
        content: [{ attachment: { contentType: 'application/pdf', title: 'Compte rendu', data: pdf.toString('base64') } }],
      },
    });
    const attachment = document.content[0].attachment;
    assert.equal(attachment.data, undefined);
    assert.match(attachment.url, /\/fhir\/Binary\/[0-9a-f]+$/);
    assert.equal(attachment.size, pdf.length);
    assert.ok(document.author.some((a) => a.identifier?.system === IDNATPS_SYSTEM && a.identifier.value === doctor), 'the depositor is recorded as author');
  });

  await t.test('search: the record\'s consultation reports, counted', async () => {
    const bundle = await professional.search({
      resourceType: 'DocumentReference',
      searchParams: { patient: patient.id, type: 'http://loinc.org|11488-4', _total: 'accurate' },
    });
    assert.equal(bundle.type, 'searchset');
    assert.equal(bundle.total, 1);
    assert.equal(bundle.entry[0].resource.id, document.id);
  });

  await t.test('content: the attachment url serves the same bytes with their content type', async () => {
    const response = await fetch(document.content[0].attachment.url, { headers: { Authorization: `Bearer ${doctorToken}` } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/pdf');
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), pdf);
  });

  await t.test('trace: the patient reads who accessed their record (DMP-RULES §4)', async () => {
    const own = new Client({ baseUrl: fhirBase, bearerToken: token({ sub: ins, ins, scope: 'patient/*.rs', name: 'Alice NODE' }) });
    const traces = await own.search({ resourceType: 'AuditEvent', searchParams: { patient: patient.id, _count: '50' } });
    const byDoctor = traces.entry.map((e) => e.resource).filter((e) => e.agent.some((a) => a.who?.identifier?.value === doctor));
    assert.ok(byDoctor.length >= 4, `the doctor's create, create, search and content read are traced (found ${byDoctor.length})`);
    assert.ok(byDoctor.every((e) => e.outcome === '0'));
  });

  await t.test('errors: an unknown document is a 404 OperationOutcome', async () => {
    await assert.rejects(professional.read({ resourceType: 'DocumentReference', id: '0123456789abcdef0123456789abcdef' }), (error) => {
      assert.equal(error.response.status, 404);
      assert.equal(error.response.data.resourceType, 'OperationOutcome');
      assert.equal(error.response.data.issue[0].code, 'not-found');
      return true;
    });
  });
});
