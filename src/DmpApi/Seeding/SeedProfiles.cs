using System.Globalization;
using DmpApi.Access;
using DmpApi.Patients;
using Hl7.Fhir.Model;

namespace DmpApi.Seeding;

/// <summary>
/// A realistic health profile for a seeded record (issue 15): two antécédents, two current treatments, three
/// vaccinations and a measurement series (a weight every three months for a year, a height, two blood pressures),
/// varied by the record's number. One antécédent in ten is hidden by the patient (MASQUE_PS in meta.security).
/// </summary>
internal static class SeedProfiles
{
    private static readonly (string Code, string Display)[] Antecedents =
    [
        ("E11", "Diabète sucré de type 2"), ("I10", "Hypertension essentielle"), ("J45", "Asthme"), ("E78.0", "Hypercholestérolémie pure"),
        ("K21.9", "Reflux gastro-œsophagien"), ("M54.5", "Lombalgie basse"), ("F32", "Épisode dépressif"), ("N18.3", "Maladie rénale chronique, stade 3"),
    ];

    private static readonly (string Code, string Display)[] Treatments =
    [
        ("60234100", "METFORMINE 1000 mg, comprimé pelliculé"), ("66513085", "RAMIPRIL 5 mg, comprimé"), ("68211373", "ATORVASTATINE 20 mg, comprimé pelliculé"),
        ("64795719", "SALBUTAMOL 100 µg/dose, suspension pour inhalation"), ("65204458", "OMÉPRAZOLE 20 mg, gélule gastro-résistante"), ("61208493", "LÉVOTHYROXINE 75 µg, comprimé"),
    ];

    private static readonly (string Code, string Display)[] Vaccines =
    [
        ("88", "Grippe saisonnière"), ("208", "COVID-19 (ARNm)"), ("115", "Diphtérie, tétanos, coqueluche (dTca)"), ("33", "Pneumocoque 23-valent"), ("121", "Zona"),
    ];

    public const string Icd10 = "http://hl7.org/fhir/sid/icd-10";
    public const string Cvx = "http://hl7.org/fhir/sid/cvx";
    public const string Cis = "urn:oid:1.2.250.1.213.2.3.1";

    public static IEnumerable<Resource> For(string patientId, int index, DateTimeOffset now)
    {
        var patient = new ResourceReference($"Patient/{patientId}");
        for (var i = 0; i < 2; i++)
        {
            var (code, display) = Antecedents[(index + 3 * i) % Antecedents.Length];
            var condition = new Condition
            {
                Id = NewId(),
                ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", i == 1 && index % 4 == 0 ? "resolved" : "active"),
                Code = new CodeableConcept(Icd10, code, display),
                Subject = patient,
                Onset = new FhirDateTime(now.AddYears(-(1 + (index + i) % 15)).ToString("yyyy-MM", CultureInfo.InvariantCulture)),
                RecordedDate = Date(now.AddDays(-(index % 300))),
            };
            if (i == 0 && index % 10 == 7)
            {
                condition.Meta = new Meta { Security = [new Coding(DmpCodes.Masked.System, DmpCodes.Masked.Code)] };
            }

            yield return condition;
        }

        for (var i = 0; i < 2; i++)
        {
            var (code, display) = Treatments[(index + 2 * i) % Treatments.Length];
            yield return new MedicationStatement
            {
                Id = NewId(),
                Status = MedicationStatement.MedicationStatusCodes.Active,
                Medication = new CodeableConcept(Cis, code, display),
                Subject = patient,
                Effective = new Period { Start = Date(now.AddMonths(-(3 + (index + i) % 48))) },
                DateAsserted = Date(now.AddDays(-(index % 90))),
            };
        }

        for (var i = 0; i < 3; i++)
        {
            var (code, display) = Vaccines[(index + i) % Vaccines.Length];
            yield return new Immunization
            {
                Id = NewId(),
                Status = Immunization.ImmunizationStatusCodes.Completed,
                VaccineCode = new CodeableConcept(Cvx, code, display),
                Patient = patient,
                Occurrence = new FhirDateTime(Date(now.AddDays(-(30 + 200 * i + index % 150)))),
                PrimarySource = true,
            };
        }

        var weight = 55m + index % 40;
        for (var quarter = 0; quarter < 4; quarter++)
        {
            yield return Measurement(HealthMeasurements.Single(HealthMeasurements.BodyWeight, weight + (quarter % 2 == 0 ? 0.4m : -0.6m) * quarter, patient, now.AddMonths(-3 * quarter)));
        }

        yield return Measurement(HealthMeasurements.Single(HealthMeasurements.BodyHeight, 150 + index % 40, patient, now.AddMonths(-11)));
        yield return Measurement(HealthMeasurements.BloodPressureOf(115 + index % 40, 70 + index % 20, patient, now.AddMonths(-1)));
        yield return Measurement(HealthMeasurements.BloodPressureOf(118 + index % 35, 72 + index % 18, patient, now.AddMonths(-7)));
    }

    private static Observation Measurement(Observation observation)
    {
        observation.Id = NewId();
        return observation;
    }

    private static string Date(DateTimeOffset instant) => instant.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string NewId() => Guid.NewGuid().ToString("N");
}
