using Hl7.Fhir.Model;

namespace DmpApi.Patients;

/// <summary>One kind of measurement: its LOINC code, its UCUM unit and the ANS "mesures de santé" profile it follows.</summary>
public sealed record HealthMeasurement(string Loinc, string Display, string Unit, string Profile)
{
    public Coding Code => new(HealthMeasurements.LoincSystem, Loinc, Display);

    public Quantity Quantity(decimal value) => new() { Value = value, Unit = Unit, System = HealthMeasurements.UcumSystem, Code = Unit };
}

/// <summary>
/// The measurements of the health profile (issue 15), as ANS publishes them in the "mesures de santé" implementation guide
/// (ansforge/IG-fhir-mesures-de-sante, input/fsh/MesFrObservationBodyWeight.fsh, MesFrObservationBodyHeight.fsh,
/// MesFrObservationBp.fsh, MesFrObservationHeartrate.fsh, MesFrObservationBodyTemperature.fsh, MesFrObservationBmi.fsh):
/// profiles of the FHIR vital signs, whose LOINC codes and UCUM units these are.
/// </summary>
public static class HealthMeasurements
{
    public const string LoincSystem = "http://loinc.org";
    public const string UcumSystem = "http://unitsofmeasure.org";
    public const string VitalSignsCategorySystem = "http://terminology.hl7.org/CodeSystem/observation-category";
    private const string Profiles = "http://esante.gouv.fr/ci-sis/fhir/StructureDefinition/";

    public static readonly HealthMeasurement BodyWeight = new("29463-7", "Poids corporel", "kg", Profiles + "ENS_FrObservationBodyWeight");
    public static readonly HealthMeasurement BodyHeight = new("8302-2", "Taille", "cm", Profiles + "ENS_FrObservationBodyHeight");
    public static readonly HealthMeasurement BodyMassIndex = new("39156-5", "Indice de masse corporelle", "kg/m2", Profiles + "ENS_FrObservationBmi");
    public static readonly HealthMeasurement HeartRate = new("8867-4", "Fréquence cardiaque", "/min", Profiles + "ENS_FrObservationHeartrate");
    public static readonly HealthMeasurement BodyTemperature = new("8310-5", "Température corporelle", "Cel", Profiles + "ENS_FrObservationBodyTemperature");

    /// <summary>The blood pressure panel (85354-9) and its two components, in mm[Hg].</summary>
    public static readonly HealthMeasurement BloodPressure = new("85354-9", "Pression artérielle", "mm[Hg]", Profiles + "ENS_FrObservationBp");
    public static readonly HealthMeasurement Systolic = new("8480-6", "Pression artérielle systolique", "mm[Hg]", Profiles + "ENS_FrObservationBp");
    public static readonly HealthMeasurement Diastolic = new("8462-4", "Pression artérielle diastolique", "mm[Hg]", Profiles + "ENS_FrObservationBp");

    /// <summary>A measurement of one value (weight, height, heart rate…) for a patient at an instant.</summary>
    public static Observation Single(HealthMeasurement kind, decimal value, ResourceReference patient, DateTimeOffset when) =>
        Shell(kind, patient, when, o => o.Value = kind.Quantity(value));

    /// <summary>A blood pressure: the panel with its systolic and diastolic components.</summary>
    public static Observation BloodPressureOf(decimal systolic, decimal diastolic, ResourceReference patient, DateTimeOffset when) =>
        Shell(BloodPressure, patient, when, o =>
        {
            o.Component.Add(new Observation.ComponentComponent { Code = new CodeableConcept { Coding = [Systolic.Code] }, Value = Systolic.Quantity(systolic) });
            o.Component.Add(new Observation.ComponentComponent { Code = new CodeableConcept { Coding = [Diastolic.Code] }, Value = Diastolic.Quantity(diastolic) });
        });

    private static Observation Shell(HealthMeasurement kind, ResourceReference patient, DateTimeOffset when, Action<Observation> value)
    {
        var observation = new Observation
        {
            Meta = new Meta { Profile = [kind.Profile] },
            Status = ObservationStatus.Final,
            Category = [new CodeableConcept(VitalSignsCategorySystem, "vital-signs", "Signes vitaux")],
            Code = new CodeableConcept { Coding = [kind.Code] },
            Subject = patient,
            Effective = new FhirDateTime(when),
        };
        value(observation);
        return observation;
    }
}
