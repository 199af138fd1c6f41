using System.Linq.Expressions;
using DmpApi.Storage;

namespace DmpApi.Access;

/// <summary>
/// The SQL form of <see cref="DocumentFilter.Matches"/> on the current DocumentReference rows of one record (DESIGN §2:
/// access filters live in the query, before paging and counting). Types come from the `type` token index, the labels,
/// depositor and deposit time from the access columns.
/// </summary>
public static class DocumentPredicates
{
    public static Expression<Func<ResourceRow, bool>> For(DmpDbContext db, string patientId, DocumentFilter filter)
    {
        var parts = new List<Expression<Func<ResourceRow, bool>>> { r => r.PatientId == patientId };

        // Rule 5: the habilitation matrix. A document needs a type in a matrix system, and every such type readable.
        var systems = filter.Types.Systems.ToList();
        var listed = filter.Types.Types.Select(t => t.System + "|" + t.Code).ToList();
        Expression<Func<ResourceRow, bool>>? typeReadable = null;
        switch (filter.Types.Scope)
        {
            case DocumentTypeScope.AllExcept:
                typeReadable = r => db.TokenIndex.Any(t => t.ResourceRowId == r.Id && t.ParamName == "type" && systems.Contains(t.System!))
                    && !db.TokenIndex.Any(t => t.ResourceRowId == r.Id && t.ParamName == "type" && listed.Contains(t.System + "|" + t.Code));
                break;
            case DocumentTypeScope.Only:
                typeReadable = r => db.TokenIndex.Any(t => t.ResourceRowId == r.Id && t.ParamName == "type" && systems.Contains(t.System!))
                    && !db.TokenIndex.Any(t => t.ResourceRowId == r.Id && t.ParamName == "type" && systems.Contains(t.System!) && !listed.Contains(t.System + "|" + t.Code));
                break;
        }

        // CSP R1111-49: the author sees their own deposit whatever the matrix row of their profession.
        if (typeReadable is not null)
        {
            var author = filter.Author;
            parts.Add(author is null ? typeReadable : Predicates.Or([r => r.DepositorIdNatPs == author, typeReadable]));
        }

        // Rule 6: MASQUE_PS only for the patient, the médecins traitants and the document's depositor.
        if (!filter.SeesMaskedDocuments)
        {
            var author = filter.Author;
            parts.Add(author is null ? r => !r.IsMasked : r => !r.IsMasked || r.DepositorIdNatPs == author);
        }

        // Rule 7: INVISIBLE_PATIENT hidden from the patient for one month after the deposit.
        if (filter.InvisibleToPatientHiddenAfter is { } hiddenAfter)
        {
            var cutOff = hiddenAfter.UtcDateTime;
            parts.Add(r => !r.IsInvisibleToPatient || r.DepositedAt <= cutOff);
        }

        // Issue 14: INVISIBLE_REPRESENTANTS_LEGAUX absent for a minor's representatives, read from the security-label index.
        if (filter.HidesInvisibleToRepresentatives)
        {
            var system = DmpCodes.InvisibleToRepresentatives.System;
            var code = DmpCodes.InvisibleToRepresentatives.Code;
            // A deletion row has no index rows to read the label from: fail closed, its earlier versions stay absent for them.
            parts.Add(r => !r.IsDeleted && !db.TokenIndex.Any(t => t.ResourceRowId == r.Id && t.ParamName == "security-label" && t.System == system && t.Code == code));
        }

        return Predicates.And(parts.ToArray());
    }
}
