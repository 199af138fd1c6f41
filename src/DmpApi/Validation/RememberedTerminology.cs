using System.Collections.Concurrent;
using DmpApi.Fhir;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Specification.Terminology;

namespace DmpApi.Validation;

/// <summary>
/// The validator's terminology (issue 12 item 5): Firely's local service over the core value sets, each of its answers
/// remembered by question. The validator asks it once per coded element bound `required`, waiting on it synchronously
/// on another thread; an allergy's clinicalStatus was expanded and looked up on every write. The value sets are part of
/// the build, so an answer never changes within a process. "Cannot check here" (a value set it cannot expand) is
/// remembered too and answered as the local service answers it, a <see cref="FhirOperationException"/> with the same
/// message, which the validator reports as today.
/// </summary>
public sealed class RememberedTerminology(ICodeValidationTerminologyService local, int capacity = RememberedTerminology.DefaultCapacity) : ICodeValidationTerminologyService
{
    /// <summary>Questions remembered at most: codes come from clients, so a flood of distinct ones cannot grow the process without bound.</summary>
    public const int DefaultCapacity = 10_000;

    private readonly ConcurrentDictionary<string, Answer> _answers = new(StringComparer.Ordinal);

    /// <summary>How many questions are remembered (for tests).</summary>
    public int Count => _answers.Count;

    public async Task<Parameters> ValueSetValidateCode(Parameters parameters, string? id = null, bool useGet = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        // The whole question is the key (value set, code, system, display, coding or concept, abstract, context): never a wrong match.
        var question = $"{id}|{System.Text.Encoding.UTF8.GetString(FhirWire.SerializeJson(parameters))}";
        if (!_answers.TryGetValue(question, out var answer))
        {
            try
            {
                answer = new Answer(await local.ValueSetValidateCode(parameters, id, useGet), null);
            }
            catch (FhirOperationException e)
            {
                answer = new Answer(null, e);
            }

            if (_answers.Count < capacity)
            {
                _answers.TryAdd(question, answer);
            }
        }

        // A fresh exception each time: one exception object thrown on several threads at once would share its stack trace.
        return answer.Result ?? throw (answer.Failure!.Outcome is { } outcome
            ? new FhirOperationException(answer.Failure.Message, answer.Failure.Status, outcome)
            : new FhirOperationException(answer.Failure.Message, answer.Failure.Status));
    }

    public Task<Parameters> Subsumes(Parameters parameters, string? id = null, bool useGet = false) => local.Subsumes(parameters, id, useGet);

    private sealed record Answer(Parameters? Result, FhirOperationException? Failure);
}
