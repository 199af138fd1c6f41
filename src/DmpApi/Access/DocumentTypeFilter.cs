namespace DmpApi.Access;

/// <summary>How a <see cref="DocumentTypeFilter"/> reads its <see cref="DocumentTypeFilter.Types"/>.</summary>
public enum DocumentTypeScope
{
    /// <summary>No restriction by type: the patient reads every type of their record (DMP-RULES §2 rule 8).</summary>
    Any,

    /// <summary>Every type of a matrix system except the listed ones.</summary>
    AllExcept,

    /// <summary>Only the listed types; with none listed, no document at all.</summary>
    Only,
}

/// <summary>
/// The document types one requester may read (DMP-RULES §2 rule 5), in the shape a SQL predicate takes:
/// Any → no predicate; AllExcept → type system in <see cref="Systems"/> and (system, code) not in <see cref="Types"/>;
/// Only → (system, code) in <see cref="Types"/>. A type outside the matrix systems is unknown, hence denied.
/// </summary>
public sealed record DocumentTypeFilter(DocumentTypeScope Scope, IReadOnlySet<QualifiedCode> Types, IReadOnlySet<string> Systems)
{
    public static readonly DocumentTypeFilter Any = new(DocumentTypeScope.Any, new HashSet<QualifiedCode>(), new HashSet<string>());

    /// <summary>Default deny: an unknown profession reads no document type.</summary>
    public static readonly DocumentTypeFilter None = new(DocumentTypeScope.Only, new HashSet<QualifiedCode>(), new HashSet<string>());

    /// <summary>
    /// Whether a document with these type codes may be read: it needs at least one code in a matrix system, and every
    /// such code must be permitted (a document typed twice is readable only if both types are).
    /// </summary>
    public bool Permits(IEnumerable<QualifiedCode> documentTypes)
    {
        if (Scope == DocumentTypeScope.Any)
        {
            return true;
        }

        var known = documentTypes.Where(t => Systems.Contains(t.System)).ToList();
        return known.Count > 0 && (Scope == DocumentTypeScope.AllExcept ? known.All(t => !Types.Contains(t)) : known.All(Types.Contains));
    }
}
