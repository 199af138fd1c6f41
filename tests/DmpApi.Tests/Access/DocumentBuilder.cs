using DmpApi.Access;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Access;

/// <summary>Documents of the record, as the facts rules 5–8 read (built through <see cref="DocumentFacts.From"/>).</summary>
internal sealed class DocumentBuilder
{
    private readonly DocumentReference document = new()
    {
        Status = DocumentReferenceStatus.Current,
        Type = new CodeableConcept(DmpCodes.LoincSystem, "11488-4"),
    };

    private string? author = Requesters.OtherId;
    private DateTimeOffset deposited = At.Now.AddDays(-1);

    public static DocumentBuilder Loinc(string code) => new DocumentBuilder().OfType(DmpCodes.LoincSystem, code);

    public static DocumentBuilder TreA05(string code) => new DocumentBuilder().OfType(DmpCodes.TreA05System, code);

    public DocumentBuilder OfType(string system, string code)
    {
        document.Type = new CodeableConcept(system, code);
        return this;
    }

    public DocumentBuilder AlsoOfType(string system, string code)
    {
        (document.Type ??= new CodeableConcept()).Coding.Add(new Coding(system, code));
        return this;
    }

    public DocumentBuilder Untyped()
    {
        document.Type = null;
        return this;
    }

    public DocumentBuilder Masked() => Labelled(DmpCodes.Masked.Code);

    public DocumentBuilder InvisibleToPatient() => Labelled(DmpCodes.InvisibleToPatient.Code);

    public DocumentBuilder Labelled(string treA07Code)
    {
        document.SecurityLabel.Add(new CodeableConcept(DmpCodes.TreA07System, treA07Code));
        return this;
    }

    public DocumentBuilder AuthoredBy(string? idNatPs)
    {
        author = idNatPs;
        return this;
    }

    public DocumentBuilder DepositedAt(DateTimeOffset instant)
    {
        deposited = instant;
        return this;
    }

    public DocumentFacts Build() => DocumentFacts.From(document, author, deposited);
}
