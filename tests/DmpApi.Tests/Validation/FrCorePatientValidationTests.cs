using System.Net;
using DmpApi.Fhir;
using DmpApi.Patients;
using DmpApi.Tests.Infrastructure;
using DmpApi.Validation;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Validation;

/// <summary>
/// A Patient declaring FR Core's fr-core-patient in its meta.profile is held to it on write (issue 13 item 4,
/// docs/VALIDATION.md); one that does not declare it is held to the core R4 Patient only.
/// </summary>
public sealed class FrCorePatientValidationTests(TestStore store) : StoreFixture(store)
{
    [Test]
    public async Task FR_Core_own_patient_example_declaring_fr_core_patient_is_accepted()
    {
        var created = await Fhir.CreateAsync(FrCoreExamples.DeceasedPatient());

        Assert.That(created.Status, Is.EqualTo(HttpStatusCode.Created), created.ToString());
    }

    [Test]
    public async Task A_patient_declaring_fr_core_patient_with_a_hospital_identifier_without_system_is_refused_naming_the_element()
    {
        var created = await Fhir.CreateAsync(PatientWithAnIppWithoutSystem(declaringFrCore: true));

        Assert.Multiple(() =>
        {
            Assert.That(created.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), created.ToString());
            Assert.That(created.Outcome.Issue.Select(i => i.Details?.Text ?? string.Empty), Has.Some.Contains("'system'"), created.ToString());
            Assert.That(created.Outcome.Issue.SelectMany(i => i.Expression), Has.Some.StartsWith("Patient.identifier[1]"), "the IPP is the second identifier");
        });
    }

    [Test]
    public async Task A_patient_not_declaring_fr_core_patient_is_not_held_to_it()
    {
        var created = await Fhir.CreateAsync(PatientWithAnIppWithoutSystem(declaringFrCore: false));

        Assert.That(created.Status, Is.EqualTo(HttpStatusCode.Created), created.ToString());
    }

    [Test]
    public async Task The_capability_statement_lists_fr_core_patient_for_the_patient_resource()
    {
        var metadata = await Fhir.GetAsync("fhir/metadata");
        var patient = metadata.Resource<CapabilityStatement>().Rest.Single().Resource.Single(r => r.Type == "Patient");

        Assert.That(patient.SupportedProfile, Does.Contain(Conformance.FrCorePatient));
    }

    /// <summary>FR Core's PI slice (IPP): use usual, type v2-0203#PI, system 1.., value 1..; this one has no system.</summary>
    private static Patient PatientWithAnIppWithoutSystem(bool declaringFrCore)
    {
        var patient = new PatientBuilder().Build();
        patient.Identifier.Add(new Identifier
        {
            Use = Identifier.IdentifierUse.Usual,
            Type = new CodeableConcept { Coding = [new Coding("http://terminology.hl7.org/CodeSystem/v2-0203", "PI", "Patient internal identifier")] },
            Value = "IPP-" + Guid.NewGuid().ToString("N"),
        });
        if (declaringFrCore)
        {
            patient.Meta = new Meta { Profile = [Conformance.FrCorePatient] };
        }

        return patient;
    }
}

/// <summary>FR Core's own FSH examples (input/fsh/Examples of Interop-Sante/hl7.fhir.fr.core), translated to JSON under Validation/FrCoreExamples.</summary>
internal static class FrCoreExamples
{
    /// <summary>
    /// FRCorePatientDeceasedExample.fsh (InstanceOf fr-core-patient), given the INS-NIR identifier this server requires
    /// of every record (the example carries only an IPP).
    /// </summary>
    public static Patient DeceasedPatient()
    {
        var json = File.ReadAllBytes(Path.Combine(TestContext.CurrentContext.TestDirectory, "Validation", "FrCoreExamples", "FRCorePatientDeceasedExample.json"));
        var patient = (Patient)FhirWire.DeserializeJson(json);
        patient.Id = null;
        patient.Identifier.Add(new Identifier(Ins.NirSystem, TestIns.New()));
        return patient;
    }
}
