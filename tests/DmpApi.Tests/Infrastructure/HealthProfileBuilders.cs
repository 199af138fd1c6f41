using DmpApi.Patients;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Infrastructure;

/// <summary>Small builders of health profile entries (issue 15), one per type, in a given record.</summary>
public static class HealthProfileEntries
{
    public const string Icd10 = "http://hl7.org/fhir/sid/icd-10";
    public const string Cvx = "http://hl7.org/fhir/sid/cvx";
    public const string Cis = "urn:oid:1.2.250.1.213.2.3.1";

    /// <summary>The four entry types, each as an entry of a given record: what the door tests run over.</summary>
    public static readonly IReadOnlyList<string> Types = ["Condition", "MedicationStatement", "Immunization", "Observation"];

    public static Resource Of(string type, Patient patient) => type switch
    {
        "Condition" => Condition(patient),
        "MedicationStatement" => Treatment(patient),
        "Immunization" => Vaccination(patient),
        "Observation" => Weight(patient, 72.5m),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a health profile entry"),
    };

    public static Condition Condition(Patient patient, string icd10 = "E11", string display = "Diabète sucré de type 2") => new()
    {
        ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
        Code = new CodeableConcept(Icd10, icd10, display),
        Subject = Ref(patient),
        Onset = new FhirDateTime("2019-03-12"),
    };

    public static MedicationStatement Treatment(Patient patient) => new()
    {
        Status = MedicationStatement.MedicationStatusCodes.Active,
        Medication = new CodeableConcept(Cis, "60234100", "METFORMINE 1000 mg"),
        Subject = Ref(patient),
        Effective = new FhirDateTime("2019-03-12"),
    };

    public static Immunization Vaccination(Patient patient, string cvx = "88", string date = "2026-10-21") => new()
    {
        Status = Immunization.ImmunizationStatusCodes.Completed,
        VaccineCode = new CodeableConcept(Cvx, cvx, "Grippe saisonnière"),
        Patient = Ref(patient),
        Occurrence = new FhirDateTime(date),
        PrimarySource = true,
    };

    public static Observation Weight(Patient patient, decimal kg, string when = "2026-11-20T10:00:00+01:00") =>
        HealthMeasurements.Single(HealthMeasurements.BodyWeight, kg, Ref(patient), DateTimeOffset.Parse(when, System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The entry hidden from professionals by the patient (MASQUE_PS in meta.security).</summary>
    public static T Hidden<T>(T entry) where T : Resource
    {
        entry.Meta ??= new Meta();
        entry.Meta.Security.Add(new Coding(Systems.Visibility, "MASQUE_PS"));
        return entry;
    }

    private static ResourceReference Ref(Patient patient) => new($"Patient/{patient.Id}");
}
