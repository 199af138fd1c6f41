using DmpApi.Fhir;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace DmpApi.Access;

/// <summary>The directives read from one Consent, and what of it was not applied (with the reason).</summary>
public sealed record ConsentReading(IReadOnlyList<ConsentDirective> Directives, IReadOnlyList<IgnoredDirective> Ignored);

/// <summary>
/// Reads IHE PCF Consents in the DMP shape (DMP-RULES §5). Only active Consents count. Anything else is ignored with
/// a reason, never thrown. Doubt fails closed: a permit that is not fully understood grants nothing, while a deny
/// is applied as far as it names a professional or an opposition.
/// </summary>
public static class ConsentDirectives
{
    public static ConsentReading Read(Consent consent)
    {
        var source = consent.Id is { Length: > 0 } id ? $"Consent/{id}" : "Consent (without id)";
        var ignored = new List<IgnoredDirective>();

        ConsentReading Ignore(string reason)
        {
            ignored.Add(new IgnoredDirective(source, reason));
            return new ConsentReading([], ignored);
        }

        // DMP-RULES §5: revoking is setting status to inactive; only active Consents count.
        if (consent.Status != Consent.ConsentState.Active)
        {
            return Ignore($"status is {consent.Status?.GetLiteral() ?? "missing"}; only active Consents count.");
        }

        if (consent.Scope?.Coding is { Count: > 0 } scope && !scope.Any(c => c?.System == DmpCodes.ConsentScopeSystem && c.Code == DmpCodes.PatientPrivacyScope))
        {
            return Ignore("scope is not patient-privacy: it is not a DMP access decision.");
        }

        if (consent.Provision is not { } provision)
        {
            return Ignore("it has no provision.");
        }

        return provision.Type switch
        {
            Consent.ConsentProvisionType.Permit => ReadPermit(provision, consent.Id, source, ignored),
            Consent.ConsentProvisionType.Deny => ReadDeny(provision, consent.Id, source, ignored),
            _ => Ignore("provision.type is neither permit nor deny."),
        };
    }

    /// <summary>A permit: every actor IRCP with an idNatPs, purpose TREAT (or an emergency mode), optional period, nothing narrowing it (DMP-RULES §5).</summary>
    private static ConsentReading ReadPermit(Consent.provisionComponent provision, string? consentId, string source, List<IgnoredDirective> ignored)
    {
        string? problem = null;
        if (provision.Provision.Count > 0)
        {
            problem = "a permit with nested provisions is not a DMP permit.";
        }
        else if (provision.Class.Count > 0 || provision.Code.Count > 0 || provision.Data.Count > 0 || provision.SecurityLabel.Count > 0 || provision.DataPeriod is not null)
        {
            // The DMP authorises a professional on the whole record; a partial permit cannot be honoured as such.
            problem = "the permit is limited to part of the record (class, code, data, securityLabel or dataPeriod), which the DMP does not support.";
        }
        else if (PermitKinds(provision) is [])
        {
            problem = $"a permit must have purpose {DmpCodes.Treatment}, {DmpCodes.BreakTheGlass} or {DmpCodes.Regulation} ({DmpCodes.ActReasonSystem}).";
        }
        else if (provision.Actor.Count == 0)
        {
            problem = "a permit must name the authorised professional in provision.actor.";
        }

        var professionals = new List<string>();
        for (var i = 0; problem is null && i < provision.Actor.Count; i++)
        {
            var actor = provision.Actor[i];
            if (!(actor?.Role?.Coding.Any(c => c?.System == DmpCodes.ParticipationTypeSystem && c.Code == DmpCodes.InformationRecipient) ?? false))
            {
                problem = $"provision.actor[{i}].role is not {DmpCodes.ParticipationTypeSystem}|{DmpCodes.InformationRecipient}.";
            }
            else if (IdNatPsOf(actor!.Reference) is { } idNatPs)
            {
                professionals.Add(idNatPs);
            }
            else
            {
                problem = $"provision.actor[{i}].reference has no identifier with system {DmpCodes.IdNatPsSystem}.";
            }
        }

        var period = DirectivePeriod.Always;
        if (problem is null && !TryReadPeriod(provision.Period, out period, out var periodProblem))
        {
            problem = periodProblem;
        }

        if (problem is not null)
        {
            ignored.Add(new IgnoredDirective(source, problem));
            return new ConsentReading([], ignored);
        }

        return new ConsentReading(
            professionals.SelectMany(p => PermitKinds(provision).Select(kind => new ConsentDirective(kind, p, period, consentId))).ToList(), ignored);
    }

    /// <summary>What a permit's purposes authorise: TREAT normal access; BTG or ETREAT that emergency mode only (issue 15 item 4).</summary>
    private static List<ConsentDirectiveKind> PermitKinds(Consent.provisionComponent provision) =>
        provision.Purpose.Where(p => p?.System == DmpCodes.ActReasonSystem)
            .Select(p => p.Code switch
            {
                DmpCodes.Treatment => ConsentDirectiveKind.Permit,
                DmpCodes.BreakTheGlass => ConsentDirectiveKind.BreakTheGlassPermit,
                DmpCodes.Regulation => ConsentDirectiveKind.RegulationPermit,
                _ => (ConsentDirectiveKind?)null,
            })
            .OfType<ConsentDirectiveKind>()
            .Distinct()
            .ToList();

    /// <summary>A deny: with actors, blocks of each named idNatPs whatever the purpose; without, oppositions to BTG and ETREAT (DMP-RULES §5).</summary>
    private static ConsentReading ReadDeny(Consent.provisionComponent provision, string? consentId, string source, List<IgnoredDirective> ignored)
    {
        if (provision.Provision.Count > 0)
        {
            ignored.Add(new IgnoredDirective(source, "nested provisions are not part of the DMP shape; only the top-level deny is applied."));
        }

        if (!TryReadPeriod(provision.Period, out var period, out var periodProblem))
        {
            // Fail closed: an unreadable period must not lift what the patient denied.
            ignored.Add(new IgnoredDirective(source, $"{periodProblem} The deny is applied without a period."));
            period = DirectivePeriod.Always;
        }

        var directives = new List<ConsentDirective>();
        if (provision.Actor.Count > 0)
        {
            for (var i = 0; i < provision.Actor.Count; i++)
            {
                if (IdNatPsOf(provision.Actor[i]?.Reference) is { } idNatPs)
                {
                    // DMP-RULES §2 rule 2: a blocked professional is denied in every mode, so the purpose does not narrow a block.
                    directives.Add(new ConsentDirective(ConsentDirectiveKind.Block, idNatPs, period, consentId));
                }
                else
                {
                    ignored.Add(new IgnoredDirective(source, $"provision.actor[{i}].reference has no identifier with system {DmpCodes.IdNatPsSystem}; that actor is not blocked."));
                }
            }

            return new ConsentReading(directives, ignored);
        }

        foreach (var purpose in provision.Purpose.Where(p => p?.System == DmpCodes.ActReasonSystem))
        {
            var kind = purpose.Code switch
            {
                DmpCodes.BreakTheGlass => ConsentDirectiveKind.BreakTheGlassOpposition,
                DmpCodes.Regulation => ConsentDirectiveKind.RegulationOpposition,
                _ => (ConsentDirectiveKind?)null,
            };
            if (kind is { } k && directives.All(d => d.Kind != k))
            {
                directives.Add(new ConsentDirective(k, null, period, consentId));
            }
        }

        if (directives.Count == 0)
        {
            ignored.Add(new IgnoredDirective(source, $"a deny without actor must have purpose {DmpCodes.BreakTheGlass} or {DmpCodes.Regulation} ({DmpCodes.ActReasonSystem})."));
        }

        return new ConsentReading(directives, ignored);
    }

    /// <summary>The idNatPs of a reference by identifier (DMP-RULES §1); a literal reference alone names no professional.</summary>
    internal static string? IdNatPsOf(ResourceReference? reference) =>
        reference?.Identifier is { System: DmpCodes.IdNatPsSystem, Value: { } value } && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static bool TryReadPeriod(Period? period, out DirectivePeriod result, out string? problem)
    {
        result = DirectivePeriod.Always;
        problem = null;
        if (period is null)
        {
            return true;
        }

        DateTimeOffset? start = null, end = null;
        if (period.Start is { } s)
        {
            if (!FhirDateRange.TryParse(s, out var range))
            {
                problem = $"provision.period.start '{s}' is not a FHIR dateTime.";
                return false;
            }

            start = new DateTimeOffset(range.Start, TimeSpan.Zero);
        }

        if (period.End is { } e)
        {
            if (!FhirDateRange.TryParse(e, out var range))
            {
                problem = $"provision.period.end '{e}' is not a FHIR dateTime.";
                return false;
            }

            // A date covers its whole day: a permit ending 2026-12-31 still holds during that day.
            end = new DateTimeOffset(range.End, TimeSpan.Zero);
        }

        if (start > end)
        {
            problem = $"provision.period ends ({period.End}) before it starts ({period.Start}).";
            return false;
        }

        result = new DirectivePeriod(start, end);
        return true;
    }
}
