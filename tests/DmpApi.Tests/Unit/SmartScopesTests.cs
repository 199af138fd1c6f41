using DmpApi.Auth;
using DmpApi.Fhir;

namespace DmpApi.Tests.Unit;

/// <summary>SMART App Launch scopes (DESIGN §3): v2 letters c r u d s, wildcards, and the v1 read/write forms.</summary>
public sealed class SmartScopesTests
{
    [TestCase("user/*.cruds", "Patient", FhirInteraction.Create)]
    [TestCase("user/*.cruds", "DocumentReference", FhirInteraction.Delete)]
    [TestCase("patient/DocumentReference.rs", "DocumentReference", FhirInteraction.Read)]
    [TestCase("patient/DocumentReference.rs", "DocumentReference", FhirInteraction.Search)]
    [TestCase("user/Patient.u", "Patient", FhirInteraction.Update)]
    [TestCase("system/*.c", "Consent", FhirInteraction.Create)]
    [TestCase("user/*.*", "AllergyIntolerance", FhirInteraction.Delete)]
    [TestCase("user/*.read", "Patient", FhirInteraction.Read)]
    [TestCase("user/*.read", "Patient", FhirInteraction.Search)]
    [TestCase("user/*.write", "Patient", FhirInteraction.Create)]
    [TestCase("user/*.write", "Patient", FhirInteraction.Update)]
    [TestCase("user/*.write", "Patient", FhirInteraction.Delete)]
    public void A_scope_grants_the_interactions_it_names(string scope, string type, FhirInteraction interaction)
    {
        Assert.That(SmartScopes.Permits(new HashSet<string> { scope }, type, interaction), Is.True);
    }

    [TestCase("user/*.rs", "Patient", FhirInteraction.Create)]
    [TestCase("user/*.rs", "Patient", FhirInteraction.Update)]
    [TestCase("patient/DocumentReference.rs", "Patient", FhirInteraction.Read)]
    [TestCase("patient/DocumentReference.rs", "DocumentReference", FhirInteraction.Delete)]
    [TestCase("user/*.read", "Patient", FhirInteraction.Create)]
    [TestCase("user/*.write", "Patient", FhirInteraction.Read)]
    [TestCase("user/*.write", "Patient", FhirInteraction.Search)]
    [TestCase("other/*.cruds", "Patient", FhirInteraction.Read)]
    [TestCase("openid", "Patient", FhirInteraction.Read)]
    [TestCase("*.cruds", "Patient", FhirInteraction.Read)]
    [TestCase("user/Patients.cruds", "Patient", FhirInteraction.Read)]
    public void A_scope_does_not_grant_what_it_does_not_name(string scope, string type, FhirInteraction interaction)
    {
        Assert.That(SmartScopes.Permits(new HashSet<string> { scope }, type, interaction), Is.False);
    }

    [Test]
    public void No_scope_grants_nothing()
    {
        Assert.That(SmartScopes.Permits(new HashSet<string>(), "Patient", FhirInteraction.Read), Is.False);
    }

    [Test]
    public void Any_one_of_several_scopes_is_enough()
    {
        var scopes = new HashSet<string> { "openid", "user/Patient.rs", "user/DocumentReference.c" };

        Assert.Multiple(() =>
        {
            Assert.That(SmartScopes.Permits(scopes, "DocumentReference", FhirInteraction.Create), Is.True);
            Assert.That(SmartScopes.Permits(scopes, "Patient", FhirInteraction.Search), Is.True);
            Assert.That(SmartScopes.Permits(scopes, "Patient", FhirInteraction.Create), Is.False);
        });
    }
}
