using Firely.Fhir.Validation;
using DmpApi.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;

namespace DmpApi.Tests.Validation;

/// <summary>
/// The validator's terminology answers are remembered per question (issue 12 item 5): a write's required bindings are
/// not looked up again, and the answer is the first one, a refusal or "cannot check here" (a value set not held) included.
/// </summary>
public sealed class RememberedTerminologyTests
{
    private static readonly CachedResolver Core = new(ZipSource.CreateValidationSource());

    [Test]
    public void The_same_coded_element_validated_twice_is_looked_up_once()
    {
        var (validator, local, _) = Validator();

        validator.Validate(Allergy("active"));
        var asked = local.Calls;
        validator.Validate(Allergy("active"));

        Assert.Multiple(() =>
        {
            Assert.That(asked, Is.GreaterThan(0), "arrange: the clinicalStatus binding is required");
            Assert.That(local.Calls, Is.EqualTo(asked));
        });
    }

    [Test]
    public void A_code_outside_its_required_value_set_is_refused_again_with_the_same_issue()
    {
        var (validator, local, _) = Validator();

        var first = validator.Validate(Allergy("not-a-status"));
        var second = validator.Validate(Allergy("not-a-status"));

        Assert.Multiple(() =>
        {
            Assert.That(Issues(first), Has.Some.StartsWith("Error"), "arrange: the local service refuses the code");
            Assert.That(Issues(second), Is.EqualTo(Issues(first)));
            Assert.That(local.Calls, Is.EqualTo(1));
        });
    }

    [Test]
    public void A_value_set_the_server_cannot_expand_is_answered_as_the_local_service_answers_it_each_time()
    {
        var (_, local, terminology) = Validator();
        var question = new ValidateCodeParameters().WithValueSet("https://example.org/ValueSet/not-held-here").WithCode("x", "https://example.org/cs", null, null);

        var first = Assert.ThrowsAsync<FhirOperationException>(() => terminology.ValueSetValidateCode(question));
        var second = Assert.ThrowsAsync<FhirOperationException>(() => terminology.ValueSetValidateCode(question));

        Assert.Multiple(() =>
        {
            Assert.That(first!.Message, Does.Contain("not-held-here"), "arrange: the local service cannot check it");
            Assert.That((second!.Message, second.Status), Is.EqualTo((first.Message, first.Status)));
            Assert.That(second, Is.Not.SameAs(first), "a fresh exception: never one object thrown on two threads");
            Assert.That(local.Calls, Is.EqualTo(1));
        });
    }

    [Test]
    public void Beyond_its_capacity_a_question_is_answered_without_being_remembered()
    {
        var (validator, local, terminology) = Validator(capacity: 1);

        validator.Validate(Allergy("active"));
        validator.Validate(Allergy("inactive"));
        validator.Validate(Allergy("inactive"));

        Assert.Multiple(() =>
        {
            Assert.That(terminology.Count, Is.EqualTo(1));
            Assert.That(local.Calls, Is.EqualTo(3));
        });
    }

    private static (Validator Validator, CountingTerminology Local, RememberedTerminology Terminology) Validator(int capacity = RememberedTerminology.DefaultCapacity)
    {
        var local = new CountingTerminology(LocalTerminologyService.CreateDefaultForCore(Core));
        var terminology = new RememberedTerminology(local, capacity);
        return (new Validator(Core, terminology, null, new ValidationSettings()), local, terminology);
    }

    private static AllergyIntolerance Allergy(string clinicalStatus) => new()
    {
        ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", clinicalStatus),
        Patient = new ResourceReference("Patient/p1"),
    };

    private static List<string> Issues(OperationOutcome outcome) =>
        outcome.Issue.Select(i => $"{i.Severity} {i.Code} {i.Details?.Text} {string.Join(",", i.Expression)}").ToList();

    private sealed class CountingTerminology(ICodeValidationTerminologyService inner) : ICodeValidationTerminologyService
    {
        private int _calls;

        public int Calls => _calls;

        public Task<Parameters> ValueSetValidateCode(Parameters parameters, string? id = null, bool useGet = false)
        {
            Interlocked.Increment(ref _calls);
            return inner.ValueSetValidateCode(parameters, id, useGet);
        }

        public Task<Parameters> Subsumes(Parameters parameters, string? id = null, bool useGet = false) => inner.Subsumes(parameters, id, useGet);
    }
}
